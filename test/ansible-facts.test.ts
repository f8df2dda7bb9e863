// Ansible's fact names in labplay's templates, against ansible-core's own setup module on the same lab host
// (over SSH inside the lab, so nothing else is reached), and a template that needs a fact labplay lacks.
import test from 'ava'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLab, type Lab } from './lab/lab.ts'
import { BIN, cleanUp } from './helpers/labplay.ts'

let lab: Lab
let dir: string

// The names README's table lists, each as the template an Ansible playbook would write.
const NAMES = [
  'hostname', 'nodename', 'distribution', 'distribution_major_version', 'distribution_release', 'os_family', 'kernel',
  'architecture', 'machine', 'processor_vcpus', 'memtotal_mb', 'user_id', 'user_uid', 'user_dir',
]

test.before(async () => {
  lab = await createLab({ hosts: 1, prefix: 'fx' })
  dir = mkdtempSync(join(tmpdir(), 'labplay-facts-'))
  mkdirSync(join(dir, 'roles/fact-names'), { recursive: true })
  const defaults = Object.fromEntries([
    ...NAMES.map((n) => [n, `{{ ansible_${n} }}`]),
    ['env_home', '{{ ansible_env.HOME }}'],
    ['from_facts', "{{ ansible_facts['distribution'] }}"],
    ['eth0', '{{ ansible_eth0 }}'],
    ['default_ipv4', '{{ ansible_default_ipv4 }}'],
    ['distribution_version', '{{ ansible_distribution_version }}'],
    ['interfaces', '{{ ansible_interfaces }}'],
    ['all_ipv4', '{{ ansible_all_ipv4_addresses }}'],
  ])
  writeFileSync(join(dir, 'roles/fact-names/index.ts'), `import { defineRole } from 'labplay'
export default defineRole({
  name: 'fact-names',
  defaults: ${JSON.stringify(defaults)} as Record<string, unknown>,
  tasks: [{ name: 'facts are reported', run: (h) => h.changed(JSON.stringify(h.vars)) }],
})
`)
  mkdirSync(join(dir, 'roles/needs-fqdn'), { recursive: true })
  writeFileSync(join(dir, 'roles/needs-fqdn/index.ts'), `import { defineRole } from 'labplay'
export default defineRole({ name: 'needs-fqdn', defaults: { url: 'https://{{ ansible_fqdn }}/' }, tasks: [{ name: 'never runs', run: () => undefined }] })
`)
  writeFileSync(join(dir, 'facts.yml'), '- hosts: lab\n  roles: [fact-names]\n')
  writeFileSync(join(dir, 'fqdn.yml'), '- hosts: lab\n  roles: [needs-fqdn]\n')
  writeFileSync(join(dir, 'no-facts.yml'), '- hosts: lab\n  gather_facts: false\n  roles: [fact-names]\n')
})

test.after.always(() => cleanUp(lab, dir))

const env = () => ({ ...process.env, NO_COLOR: '1', HOME: dir, ANSIBLE_NOCOLOR: '1', ANSIBLE_HOST_KEY_CHECKING: 'False', ANSIBLE_LOCALHOST_WARNING: 'False' })
const labplay = (playbook: string) => lab.controller(['node', BIN, playbook, '-i', lab.inventory, '--known-hosts', lab.knownHosts, '--no-records', '--json'], { cwd: dir, env: env(), timeoutMs: 120_000 })

function reported(stdout: string): Record<string, unknown> {
  const summary = JSON.parse(stdout) as { hosts: Array<{ tasks: Array<{ role: string; message?: string }> }> }
  return JSON.parse(summary.hosts[0]!.tasks.find((t) => t.role === 'fact-names')!.message!) as Record<string, unknown>
}

test.serial("labplay's Ansible fact names hold what ansible-core's setup module reports on the same host", async (t) => {
  // A default route inside the host's own namespace (toward the lab's controller side), for ansible_default_ipv4.
  const gateway = lab.hosts[0]!.address.replace(/\.\d+$/, '.1')
  await lab.exec('fx-01', `ip route add default via ${gateway} dev eth0`)
  const [ours, theirs] = await Promise.all([
    labplay('facts.yml'),
    lab.controller(['ansible', 'lab', '-i', lab.inventory, '-m', 'setup', '-o'], { cwd: dir, env: env(), timeoutMs: 120_000 }),
  ])
  t.is(ours.code, 0, ours.stderr)
  t.is(theirs.code, 0, theirs.stdout + theirs.stderr)
  const setup = (JSON.parse(theirs.stdout.slice(theirs.stdout.indexOf('{'))) as { ansible_facts: Record<string, unknown> }).ansible_facts
  const vars = reported(ours.stdout)
  for (const name of NAMES) t.deepEqual(vars[name], setup[`ansible_${name}`], `ansible_${name}`)
  t.is(vars.env_home, (setup.ansible_env as Record<string, unknown>).HOME)
  // Ansible's has more keys (broadcast, mtu, type); those labplay gives are the same.
  t.like(setup.ansible_default_ipv4 as Record<string, unknown>, vars.default_ipv4 as Record<string, unknown>)
  t.like(vars.default_ipv4 as Record<string, unknown>, { interface: 'eth0', gateway, address: lab.hosts[0]!.address })
  // os-release's VERSION_ID ("12"), where Ansible reads Debian's point release ("12.11"): README says so.
  const theirVersion = String(setup.ansible_distribution_version)
  t.true(theirVersion === vars.distribution_version || theirVersion.startsWith(`${String(vars.distribution_version)}.`), theirVersion)
  t.is(vars.from_facts, setup.ansible_distribution)
  t.deepEqual([...(vars.interfaces as string[])].sort(), [...(setup.ansible_interfaces as string[])].sort())
  t.deepEqual(vars.all_ipv4, setup.ansible_all_ipv4_addresses)
  const eth0 = vars.eth0 as { device: string; macaddress: string; ipv4: Record<string, string> }
  const theirEth0 = setup.ansible_eth0 as { device: string; macaddress: string; ipv4: Record<string, string> }
  t.like(theirEth0, { device: eth0.device, macaddress: eth0.macaddress })
  t.like(theirEth0.ipv4, eth0.ipv4)
})

test.serial('a fact labplay does not read fails the host at its task, naming it; without facts, fact names say so', async (t) => {
  const fqdn = await labplay('fqdn.yml')
  t.is(fqdn.code, 2, fqdn.stderr)
  const task = (JSON.parse(fqdn.stdout) as { hosts: Array<{ tasks: Array<{ status: string; message?: string }> }> }).hosts[0]!.tasks[1]!
  t.is(task.status, 'failed')
  t.regex(task.message!, /host fx-01: variable 'url': undefined variable 'ansible_fqdn' in "https:\/\/\{\{ ansible_fqdn \}\}\/" \(labplay's facts have no such fact/)
  const none = await labplay('no-facts.yml')
  t.is(none.code, 2)
  t.regex(none.stdout, /undefined variable 'ansible_hostname' .*facts were not gathered for this host: the play sets gather_facts: false/)
})
