import { createHash } from 'node:crypto'
import { closeSync, copyFileSync, existsSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { BUILTIN_ROLES, findRoles, loadRole } from '../../src/engine/roles.ts'
import type { SeatBase } from './base.ts'
import { waitForPort } from './host.ts'
import { LAB_PACKAGES } from './lab-packages.ts'
import { withLock } from './lock.ts'
import { must } from './run.ts'
import { labCache } from './state.ts'

// A built package repository: `dir` holds pool/*.deb, Packages(.gz) and Release, for `packages`
// resolved against the base's dpkg status (so it holds what a bare seat lacks, dependencies included).
export interface Mirror {
  dir: string
  key: string
  packages: string[]
}

// Where each package of the mirror comes from: role name → its declared packages, and the lab's own list.
export interface MirrorSources {
  roles: Record<string, readonly string[]>
  lab: Readonly<Record<string, readonly string[]>>
}

export const MIRROR_PORT = 80
const BUILD_TIMEOUT_MS = 30 * 60_000

// Every role's declared packages (RoleDefinition.packages) and the lab's LAB_PACKAGES, read without running anything.
export async function mirrorSources(): Promise<MirrorSources> {
  const roles: Record<string, readonly string[]> = {}
  for (const [name, file] of findRoles([BUILTIN_ROLES])) {
    const packages = (await loadRole(name, file)).packages
    if (packages?.length) roles[name] = packages
  }
  return { roles, lab: LAB_PACKAGES }
}

export function mirrorPackages(sources: MirrorSources): string[] {
  return [...new Set([...Object.values(sources.roles), ...Object.values(sources.lab)].flat())].sort()
}

// apt with every state and cache folder of its own under `work`, reading the machine's sources and
// keys only; the dpkg status it resolves against is the base's (copied, so its lock lands in `work`).
const aptOptions = (work: string): string[] => [
  '-o', `Dir::State=${join(work, 'state')}`, '-o', `Dir::State::status=${join(work, 'status')}`,
  '-o', `Dir::Cache=${join(work, 'cache')}`, '-o', `Dir::Cache::archives=${join(work, 'repo', 'pool')}`,
  '-o', `Dir::Log=${join(work, 'log')}`, '-o', 'APT::Sandbox::User=root', '-q',
]

// The campus mirror for seats built on `base`, from the cache or downloaded once (under a lock,
// into a temporary folder renamed when complete) from the Debian archive the machine's apt uses.
export async function ensureMirror(base: SeatBase, log: (line: string) => void = (l) => console.error(l)): Promise<Mirror> {
  const packages = mirrorPackages(await mirrorSources())
  const key = createHash('sha256').update(base.key).update(JSON.stringify(packages)).update(JSON.stringify(aptOptions('')))
    .digest('hex').slice(0, 16)
  const dir = labCache(`mirror-${key}`)
  const mirror = { dir, key, packages }
  if (existsSync(dir)) return mirror
  return withLock(labCache(`mirror-${key}.lock`), BUILD_TIMEOUT_MS, async () => {
    if (existsSync(dir)) return mirror
    const work = `${dir}.tmp`
    rmSync(work, { recursive: true, force: true })
    for (const d of ['state/lists/partial', 'cache', 'repo/pool/partial', 'log']) mkdirSync(join(work, d), { recursive: true })
    copyFileSync(join(base.root, 'var/lib/dpkg/status'), join(work, 'status'))
    log(`building the seats' package mirror (${packages.length} packages and their dependencies, once) in ${dir}`)
    const started = Date.now()
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
    const install = [...aptOptions(work), '-y', '--no-install-recommends', 'install', ...packages]
    await must('apt-get', [...aptOptions(work), 'update'], { env, timeoutMs: BUILD_TIMEOUT_MS })
    const wanted = debFiles(await must('apt-get', ['--simulate', ...install], { env }))
    const repo = join(work, 'repo')
    reuseDebs(wanted, join(repo, 'pool'))
    await must('apt-get', ['--download-only', ...install], { env, timeoutMs: BUILD_TIMEOUT_MS })
    rmSync(join(repo, 'pool', 'partial'), { recursive: true })
    rmSync(join(repo, 'pool', 'lock'), { force: true })
    writeFileSync(join(repo, 'Packages'), await must('apt-ftparchive', ['packages', 'pool'], { cwd: repo, timeoutMs: 300_000 }))
    await must('gzip', ['-k', '-9', 'Packages'], { cwd: repo })
    writeFileSync(join(repo, 'Release'), await must('apt-ftparchive', ['release', '.'], { cwd: repo }))
    const debs = readdirSync(join(repo, 'pool'))
    const missing = wanted.filter((f) => !debs.includes(f))
    if (missing.length > 0 || debs.length !== wanted.length) {
      throw new Error(`mirror pool: expected the ${wanted.length} files apt planned, got ${debs.length} (missing: ${missing.join(' ') || 'none'})`)
    }
    const bytes = debs.reduce((sum, f) => sum + statSync(join(repo, 'pool', f)).size, 0)
    const seconds = (Date.now() - started) / 1000
    writeFileSync(join(repo, 'info.json'), JSON.stringify({ key, base: base.key, packages, debs: debs.length, bytes, seconds }, null, 2) + '\n')
    renameSync(repo, dir)
    rmSync(work, { recursive: true, force: true })
    log(`seat mirror ${key}: ${debs.length} .deb files, ${(bytes / 1e6).toFixed(0)} MB, built in ${seconds.toFixed(0)} s`)
    return mirror
  })
}

// The .deb file names apt will download, from its simulation ("Inst name [old] (version … [arch])").
export function debFiles(simulation: string): string[] {
  const files: string[] = []
  for (const m of simulation.matchAll(/^Inst (\S+) (?:\[[^\]]*\] )?\((\S+) .*\[([a-z0-9]+)\]\)$/gm)) {
    files.push(`${m[1]}_${m[2]!.replace(/:/g, '%3a')}_${m[3]}.deb`)
  }
  return files.sort()
}

// Links the planned files that an earlier mirror (another package set or base) already downloaded, so a
// new package set downloads only what is new.
function reuseDebs(wanted: string[], pool: string): void {
  const cache = labCache('')
  const earlier = readdirSync(cache).filter((d) => /^mirror-[0-9a-f]+$/.test(d)).map((d) => join(cache, d, 'pool'))
  for (const file of wanted) {
    const found = earlier.find((p) => existsSync(join(p, file)))
    if (found) linkSync(join(found, file), join(pool, file))
  }
}

// Serves `mirror` over HTTP from the lab's controller namespace (python3's http.server: already on
// every machine that runs the lab, threaded, and apt asks no more of it); it dies with the namespace.
export async function serveMirror(mirror: Mirror, ctlNs: string, address: string, logFile: string): Promise<string> {
  const out = openSync(logFile, 'a')
  const child = spawn('ip', ['netns', 'exec', ctlNs, 'python3', '-m', 'http.server', String(MIRROR_PORT), '--bind', address,
    '--directory', mirror.dir], { detached: true, stdio: ['ignore', out, out] })
  closeSync(out)
  child.unref()
  if ((await waitForPort(ctlNs, [address], MIRROR_PORT, 15)).length > 0) {
    throw new Error(`the lab's mirror does not answer on ${address}:${MIRROR_PORT} within 15 s:\n${readFileSync(logFile, 'utf8').slice(-2000)}`)
  }
  return `http://${address}:${MIRROR_PORT}/`
}
