import test, { type ExecutionContext } from 'ava'
import { spawnSync } from 'node:child_process'
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ROOT } from './helpers/labplay.ts'

// labplay runs only its own install's code: a copied install, a cache folder or file someone else owns
// or may write, and the tsx fallback never load code from anywhere else. Another local user is a
// numeric uid with no passwd entry (nothing is added to the machine).
const OTHER = 54321
const base = mkdtempSync(join(tmpdir(), 'labplay-integrity-'))
const marker = join(base, 'marker')
test.after.always(() => rmSync(base, { recursive: true, force: true }))

// A code line that leaves the marker when it runs, and says so.
const PLANT = `;(await import('node:fs')).writeFileSync(${JSON.stringify(marker)}, 'planted code ran');console.log('PLANTED');\n`

// An install of labplay at `dir`: its own sources, roles and playbooks, packages linked from the checkout's.
function install(dir: string): string {
  for (const part of ['bin', 'src', 'roles', 'playbooks', 'package.json', 'tsconfig.json']) cpSync(join(ROOT, part), join(dir, part), { recursive: true })
  mkdirSync(join(dir, 'node_modules'))
  for (const name of readdirSync(join(ROOT, 'node_modules'))) if (!name.startsWith('.')) symlinkSync(join(ROOT, 'node_modules', name), join(dir, 'node_modules', name))
  return dir
}

// A project of the admin's: one local seat and the install's lab-notice role writing into `out`.
const project = mkdtempSync(join(base, 'project-'))
writeFileSync(join(project, 'inventory'), 'seat-1 ansible_connection=local\n')
writeFileSync(join(project, 'site.yml'), `- hosts: all\n  roles:\n    - role: lab-notice\n      vars: { notice_dir: "${join(project, 'out')}", message: "from the real role" }\n`)

interface Launch {
  env?: NodeJS.ProcessEnv
  // The install mounted read-only (a bind mount in a mount namespace of labplay's own).
  readOnly?: boolean
}

function labplay(installDir: string, args: string[], how: Launch): { code: number; out: string } {
  const node = ['node', join(installDir, 'bin', 'labplay.js'), ...args]
  const argv = how.readOnly ? ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"', installDir, ...node] : node
  const r = spawnSync(argv[0]!, argv.slice(1), { cwd: project, env: { ...process.env, NO_COLOR: '1', ...how.env }, encoding: 'utf8', timeout: 60_000 })
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` }
}

// --version and a run of the role: the install's own answers, and the planted code never ran.
function runsItsOwnCode(t: ExecutionContext, installDir: string, how: Launch = {}): void {
  rmSync(marker, { force: true })
  rmSync(join(project, 'out'), { recursive: true, force: true })
  const version = labplay(installDir, ['--version'], how)
  t.is(version.out, `labplay ${(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version}\n`)
  const ran = labplay(installDir, ['site.yml', '-i', 'inventory'], how)
  t.is(ran.code, 0, ran.out)
  t.regex(readFileSync(join(project, 'out', 'notice'), 'utf8'), /^from the real role\n/)
  t.false(ran.out.includes('PLANTED'), ran.out)
  t.false(existsSync(marker), 'the planted code did not run')
}

// Owned by another user, recursively (chown -R).
function giveAway(path: string): void {
  chownSync(path, OTHER, OTHER)
  if (statSync(path).isDirectory()) for (const name of readdirSync(path)) giveAway(join(path, name))
}

// Every cached bundle (the CLI's entry and chunks, each role) leaves the marker when loaded; none found is an
// error, or a tampered cache that planted nothing would pass for one that was never used.
function plantInCache(cache: string): string[] {
  const planted: string[] = []
  for (const entry of readdirSync(cache, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !/\.m?js$/.test(entry.name)) continue
    const file = join(entry.parentPath, entry.name)
    writeFileSync(file, PLANT + readFileSync(file, 'utf8'))
    planted.push(file)
  }
  if (planted.length === 0) throw new Error(`no bundle to plant code in under ${cache}`)
  return planted
}

test.serial('an install copied with cp -a runs only its own code, even where the original was re-created by another user', (t) => {
  const a = install(join(base, 'a'))
  runsItsOwnCode(t, a)
  const b = join(base, 'b')
  t.is(spawnSync('cp', ['-a', a, b]).status, 0)
  rmSync(a, { recursive: true, force: true })
  // The original place, re-created by another user: planted sources, roles, package.json and cache.
  install(a)
  writeFileSync(join(a, 'src', 'cli.ts'), PLANT + readFileSync(join(a, 'src', 'cli.ts'), 'utf8'))
  writeFileSync(join(a, 'roles', 'lab-notice', 'index.ts'), PLANT + readFileSync(join(a, 'roles', 'lab-notice', 'index.ts'), 'utf8'))
  writeFileSync(join(a, 'package.json'), JSON.stringify({ name: 'labplay', version: '6.6.6', type: 'module' }))
  cpSync(join(b, 'node_modules', '.labplay'), join(a, 'node_modules', '.labplay'), { recursive: true })
  t.true(plantInCache(join(a, 'node_modules', '.labplay')).length > 2)
  giveAway(a)
  runsItsOwnCode(t, b)
  t.true(readdirSync(join(b, 'node_modules', '.labplay')).filter((n) => n.startsWith('cli-')).length === 2, 'the copy built a bundle of its own')
})

// Changes to a fresh install's built cache: planted code in some of it, which then becomes someone else's.
const cliDir = (cache: string) => join(cache, readdirSync(cache).find((n) => n.startsWith('cli-'))!)
const tampered: Array<[string, (cache: string) => void]> = [
  ['the cache folder is owned by another user', (cache) => {
    plantInCache(cache)
    giveAway(cache)
  }],
  ['the cache folder is writable by its group', (cache) => {
    plantInCache(cache)
    chmodSync(cache, 0o770)
  }],
  ['the CLI bundle folder is owned by another user', (cache) => {
    plantInCache(cliDir(cache))
    giveAway(cliDir(cache))
  }],
  ['a chunk of the CLI bundle is writable by others', (cache) => {
    // One that every run loads: the entry imports it.
    const chunk = join(cliDir(cache), /from "\.\/(chunk-\w+\.js)"/.exec(readFileSync(join(cliDir(cache), 'cli.js'), 'utf8'))![1]!)
    writeFileSync(chunk, PLANT + readFileSync(chunk, 'utf8'))
    chmodSync(chunk, 0o666)
  }],
  ['the role bundles are owned by another user', (cache) => plantInCache(join(cache, 'roles')).forEach((f) => chownSync(f, OTHER, OTHER))],
]

for (const [title, tamper] of tampered) {
  test.serial(`${title}: the cache is rebuilt, never used`, (t) => {
    const dir = install(mkdtempSync(join(base, 'install-')))
    runsItsOwnCode(t, dir)
    const cache = join(dir, 'node_modules', '.labplay')
    tamper(cache)
    runsItsOwnCode(t, dir)
    const stats = statSync(cache)
    t.is(stats.uid, process.geteuid!())
    t.is(stats.mode & 0o777, 0o700)
    rmSync(dir, { recursive: true, force: true })
  })
}

test.serial('a read-only install runs from its sources, with the install\'s tsconfig and no tsx cache in the temporary folder', (t) => {
  // No cache can be made there.
  const dir = install(mkdtempSync(join(base, 'install-')))
  // A tsconfig in the working directory whose paths would send `yaml` (which labplay imports) to planted code.
  writeFileSync(join(base, 'yaml.ts'), `import { writeFileSync } from 'node:fs'\nwriteFileSync(${JSON.stringify(marker)}, 'planted code ran')\nexport const parse = () => ({})\n`)
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: { baseUrl: '.', paths: { yaml: [join(base, 'yaml.ts')] } } }))
  const temp = mkdtempSync(join(base, 'tmp-'))
  try {
    runsItsOwnCode(t, dir, { env: { TMPDIR: temp }, readOnly: true })
    t.false(existsSync(join(dir, 'node_modules', '.labplay')), 'no cache')
    t.deepEqual(readdirSync(temp), [], 'tsx wrote no cache')
  } finally {
    rmSync(join(project, 'tsconfig.json'))
    rmSync(dir, { recursive: true, force: true })
  }
})
