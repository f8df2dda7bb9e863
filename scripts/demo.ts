import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { createLab, openLab } from '../test/lab/lab.ts'
import { ROOT } from '../test/helpers/labplay.ts'

// The README's main command: a simulated room (real sshd in namespaces), then labplay on it with the live view.
const ID = 'demo'
const HOSTS = Number(process.env.DEMO_HOSTS ?? 5)

const existing = await openLab(ID)
const lab = existing ?? (await createLab({ hosts: HOSTS, name: ID, prefix: 'm5', keep: true }))
console.log(existing
  ? `room ${ID}: reusing ${lab.hosts.length} hosts (${lab.hosts[0]!.name} … ${lab.hosts.at(-1)!.name}); a rerun should report changed=0`
  : `room ${ID}: ${lab.hosts.length} simulated workstations up (${lab.hosts[0]!.name} … ${lab.hosts.at(-1)!.name})`)
const argv = [
  'netns', 'exec', lab.controllerNs, process.execPath, join(ROOT, 'bin/labplay.js'), process.argv[2] ?? 'sample',
  '-i', lab.inventory, '--known-hosts', lab.knownHosts, ...process.argv.slice(3),
]
const ran = spawnSync('ip', argv, { stdio: 'inherit', cwd: ROOT })
console.log(`\nthe room stays up: rerun with 'npm run demo', tear it down with 'npm run lab:down -- --name ${ID}'`)
process.exit(ran.status ?? 1)
