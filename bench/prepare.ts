// `npx tsx bench/prepare.ts [ROOMS]`: how long checking every variable of site.yml before any host takes
// (preparePlay: connection variables and each role's declared variables, per host) for ROOMS rooms of 18 seats.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { preparePlay } from '../src/engine/prepare.ts'
import { RoleCatalog, roleDirs } from '../src/engine/roles.ts'
import { loadInventory } from '../src/inventory/index.ts'
import { loadPlaybook } from '../src/playbook/index.ts'
import { ROOT } from '../src/root.ts'

const rooms = Number(process.argv[2] ?? 14)
const dir = mkdtempSync(join(tmpdir(), 'labplay-bench-prepare-'))
const names = Array.from({ length: rooms }, (_, i) => `r${String(i + 1).padStart(2, '0')}`)
writeFileSync(join(dir, 'hosts'), [...names.flatMap((r, i) => [`[${r}]`, `${r}-[01:18] ansible_host=10.1.${i}.1`, `[${r}:vars]`, `udpcast_portbase=${9000 + 10 * i}`]), '[windows:children]', ...names, ''].join('\n'))
const playbook = join(ROOT, 'playbooks/site.yml')
const [inventory, catalog] = await Promise.all([loadInventory([join(dir, 'hosts')]), RoleCatalog.load(roleDirs(playbook))])
const plays = await loadPlaybook(playbook, catalog)
const extraVars = { image: { name: 'win11-lab', version: '1', size: 1, sha256: 'x', source: '/srv/x.qcow2' } }
const opts = { inventory, catalog, extraVars, playbookDir: dir, tags: [], skipTags: [], cwd: dir, become: false, knownHostsFile: '/dev/null', hostKeyChecking: 'strict' as const, connectTimeoutMs: 1000 }
const times: number[] = []
let hosts = 0
for (let i = 0; i < 30; i++) {
  const started = performance.now()
  hosts = plays.reduce((n, spec) => n + preparePlay(spec, opts).hosts.length, 0)
  times.push(performance.now() - started)
}
times.sort((a, b) => a - b)
console.log(`preparePlay(site.yml) on ${hosts} hosts, 30 rounds: min ${times[0]!.toFixed(1)} ms, median ${times[15]!.toFixed(1)} ms`)
rmSync(dir, { recursive: true, force: true })
