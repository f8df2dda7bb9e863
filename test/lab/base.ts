import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { withLock } from './lock.ts'
import { must, run } from './run.ts'
import { labCache } from './state.ts'

// What a bare seat has before any role ran: systemd as init, sshd, and what a stock Debian workstation
// brings that roles rely on (procps for pgrep/pkill, kmod for modprobe/modinfo, netbase).
export const BASE_PACKAGES: readonly string[] = [
  'systemd', 'systemd-sysv', 'dbus', 'libpam-systemd', 'udev',
  'openssh-server', 'iproute2', 'procps', 'kmod', 'netbase',
]

// A built base: `root` is the read-only lower layer of every seat; `key` names it in the cache.
export interface SeatBase {
  root: string
  key: string
  packages: readonly string[]
}

const BUILD_SCRIPT = fileURLToPath(new URL('base-build.sh', import.meta.url))
const BUILD_TIMEOUT_MS = 20 * 60_000

// The cache key: the package list and the recipe, so changing either builds a new base beside the old.
export function baseKey(): string {
  return createHash('sha256').update(JSON.stringify(BASE_PACKAGES)).update(readFileSync(BUILD_SCRIPT)).digest('hex').slice(0, 16)
}

// The seats' Debian 12 base, built with debootstrap when it is not in the cache yet. Built under a
// lock into a temporary folder and renamed when complete, so a half-built base is never used and two
// test files never build it twice.
export async function ensureBase(log: (line: string) => void = (l) => console.error(l)): Promise<SeatBase> {
  const key = baseKey()
  const dir = labCache(`base-${key}`)
  const base = { root: join(dir, 'root'), key, packages: BASE_PACKAGES }
  if (existsSync(dir)) return base
  return withLock(labCache(`base-${key}.lock`), BUILD_TIMEOUT_MS, async () => {
    if (existsSync(dir)) return base
    const tmp = `${dir}.tmp`
    rmSync(tmp, { recursive: true, force: true })
    mkdirSync(tmp, { recursive: true })
    const archive = await debianArchive()
    log(`building the seats' Debian 12 base with debootstrap from ${archive} (once; about a minute) in ${dir}`)
    const started = Date.now()
    // setpriv/--kill-child: if this process dies, the whole build (debootstrap, dpkg, its mounts) dies with it.
    const r = await run('setpriv', ['--pdeathsig', 'KILL', 'unshare', '--mount', '--propagation', 'private', '--pid', '--fork',
      '--kill-child', '--mount-proc', 'bash', BUILD_SCRIPT, join(tmp, 'root'), archive, BASE_PACKAGES.join(',')],
    { timeoutMs: BUILD_TIMEOUT_MS, env: { ...process.env, ...(await aptProxy()) } })
    writeFileSync(join(tmp, 'build.log'), r.stdout + r.stderr)
    if (r.code !== 0) {
      throw new Error(`building the seat base failed (exit ${r.code}); see ${join(tmp, 'build.log')}\n${(r.stdout + r.stderr).split('\n').slice(-15).join('\n')}`)
    }
    writeFileSync(join(tmp, 'info.json'), JSON.stringify({ key, packages: BASE_PACKAGES, archive, seconds: (Date.now() - started) / 1000 }, null, 2) + '\n')
    renameSync(tmp, dir)
    log(`seat base ${key} built in ${((Date.now() - started) / 1000).toFixed(0)} s`)
    return base
  })
}

// The Debian 12 archive this machine's apt is configured with: set-up downloads come from there only.
export async function debianArchive(): Promise<string> {
  const out = await must('apt-get', ['indextargets', '--format', '$(REPO_URI) $(RELEASE) $(IDENTIFIER)'])
  const line = out.split('\n').find((l) => / bookworm Packages$/.test(l))
  if (!line) throw new Error(`expected a bookworm archive in this machine's apt sources (apt-get indextargets), got:\n${out.trim() || 'none'}`)
  return line.split(' ')[0]!
}

// debootstrap downloads with wget, which reads a proxy from the environment, not from apt's settings.
async function aptProxy(): Promise<Record<string, string>> {
  const out = await run('apt-config', ['shell', 'HTTP', 'Acquire::http::Proxy', 'HTTPS', 'Acquire::https::Proxy'])
  const proxy: Record<string, string> = {}
  for (const m of out.stdout.matchAll(/^(HTTPS?)='([^']*)'$/gm)) proxy[`${m[1]!.toLowerCase()}_proxy`] = m[2]!
  return proxy
}
