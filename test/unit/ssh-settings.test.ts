import test from 'ava'
import { execFileSync } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { InputError } from '../../src/errors.ts'
import { parseSshArgs } from '../../src/connection/ssh-args.ts'
import { SshConfigFiles } from '../../src/connection/ssh-config.ts'
import { SshResolver, type SshInputs } from '../../src/connection/ssh-settings.ts'

const FIXTURE = fileURLToPath(new URL('../fixtures/ssh-config', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'labplay-sshcfg-'))
// The fixture's Include is relative to ~/.ssh; here it points at the copy, so `ssh -G` reads the same files.
cpSync(join(FIXTURE, 'conf.d'), join(dir, 'conf.d'), { recursive: true })
const CONFIG = join(dir, 'config')
writeFileSync(CONFIG, readFileSync(join(FIXTURE, 'config'), 'utf8').replace('Include conf.d/*.conf', `Include ${dir}/conf.d/*.conf`))
test.after.always(() => rmSync(dir, { recursive: true, force: true }))

const HOSTS = ['gw', 'gw.physics', 'm5-01', 'M5-02', 'm5-99', 'm6-01', 'm6-1', 'inner', 'printer-a', 'other']
const KEYS = ['hostname', 'user', 'port', 'proxyjump', 'connecttimeout', 'serveraliveinterval', 'serveralivecountmax', 'identitiesonly', 'userknownhostsfile', 'stricthostkeychecking']

// OpenSSH's own reading of the file: `ssh -G` prints every setting for a host, contacting nothing.
function sshG(host: string): Map<string, string[]> {
  const out = execFileSync('ssh', ['-G', '-F', CONFIG, host], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
  const rows = new Map<string, string[]>()
  for (const line of out.split('\n')) {
    const at = line.indexOf(' ')
    if (at > 0) rows.set(line.slice(0, at), [...(rows.get(line.slice(0, at)) ?? []), line.slice(at + 1)])
  }
  return rows
}

// ssh -G prints yes/no settings as true/false, numbers without defaults as 0, and ~ expanded.
function ours(options: Map<string, string | string[]>, key: string): string | undefined {
  const value = options.get(key)
  if (value === undefined) return { serveraliveinterval: '0', serveralivecountmax: '3', identitiesonly: 'no' }[key]
  const text = Array.isArray(value) ? value.map((v) => v.replace(/^~/, homedir())).join(' ') : value
  if (key === 'stricthostkeychecking') return { yes: 'true', no: 'false', off: 'false' }[text.toLowerCase()] ?? text
  return text
}

test('Host patterns, Include, Match host and first-value-wins read as ssh -G reads them', (t) => {
  const files = new SshConfigFiles([{ file: CONFIG }])
  for (const host of HOSTS) {
    const theirs = sshG(host)
    const options = files.options(host)
    for (const key of KEYS) {
      const expected = theirs.get(key)?.join(' ')
      const got = key === 'hostname' ? ((options.get('hostname') as string | undefined)?.replaceAll('%h', host) ?? host).toLowerCase() : ours(options, key)
      t.is(got, expected, `${host}: ${key}`)
    }
    const identities = options.get('identityfile')
    if (identities) t.deepEqual(identities, theirs.get('identityfile'), `${host}: identityfile`)
  }
})

const base: SshInputs = {
  name: 'm5-01', host: 'm5-01', args: [], knownHostsFile: '/k/known_hosts', knownHostsGiven: false,
  hostKeyChecking: 'accept-new', hostKeyCheckingGiven: false, connectTimeoutMs: 10_000, connectTimeoutGiven: false,
}
const resolver = new SshResolver(dir, '/home/admin')
const withConfig = { text: `-F ${CONFIG}`, what: 'ssh_args' }

test('a host behind a gateway: ProxyJump hops come from the same ssh_config, tokens expand, keepalives and known_hosts apply', (t) => {
  const m5 = resolver.target({ ...base, args: [withConfig] })
  t.like(m5, { address: 'm5-01', port: 22, user: 'root', identitiesOnly: true, keepaliveIntervalMs: 15_000, keepaliveCountMax: 4, connectTimeoutMs: 20_000 })
  t.deepEqual(m5.identityFiles, ['/home/admin/.ssh/lab_root'])
  t.is(m5.knownHostsFile, '/home/admin/.ssh/known_hosts_labs')
  t.deepEqual(m5.via?.map((h) => [h.name, h.address, h.port, h.user, h.identityFiles]), [['gw', '192.0.2.1', 2222, 'jump', ['/home/admin/.ssh/gw_ed25519']]])
  const m6 = resolver.target({ ...base, name: 'm6-01', host: 'm6-01', args: [withConfig] })
  t.like(m6, { address: 'm6-01.physics.example.edu', hostKeyChecking: 'strict', connectTimeoutMs: 7_000, user: 'student' })
  t.deepEqual(m6.via?.map((h) => `${h.user}@${h.address}:${h.port}`), ['jump@192.0.2.1:2222', 'student@192.0.2.7:2200'])
  const chained = resolver.target({ ...base, name: 'm5-03', host: 'm5-03', args: [withConfig, { text: '-J m5-01,m5-02', what: 'common' }] })
  t.deepEqual(chained.via?.map((h) => h.name), ['gw', 'm5-01', 'm5-02'], 'the first jump\'s own ProxyJump, then the chain as given')
  const printer = resolver.target({ ...base, name: 'printer-a', host: 'printer-a', args: [withConfig] })
  t.like(printer, { user: 'lp', port: 2022, hostKeyChecking: 'off' })
})

test('inventory variables and options first, then ssh arguments, then ssh_config', (t) => {
  const given = resolver.target({ ...base, port: 2201, user: 'labadmin', args: [withConfig, { text: '-o Port=2300 -o User=nobody -J jump@gw:2222', what: 'common' }],
    knownHostsGiven: true, hostKeyCheckingGiven: true, hostKeyChecking: 'strict', connectTimeoutGiven: true })
  t.like(given, { port: 2201, user: 'labadmin', knownHostsFile: '/k/known_hosts', hostKeyChecking: 'strict', connectTimeoutMs: 10_000 })
  t.deepEqual(given.via?.map((h) => h.address), ['192.0.2.1'])
  const args = resolver.target({ ...base, fallbackUser: 'cli-user', args: [withConfig, { text: '-p 2300 -i ~/.ssh/extra -oStrictHostKeyChecking=no', what: 'extra' }] })
  t.like(args, { port: 2300, user: 'cli-user', hostKeyChecking: 'off' })
  t.deepEqual(args.identityFiles, ['/home/admin/.ssh/extra', '/home/admin/.ssh/lab_cli-user'])
  t.is(resolver.target({ ...base, args: [withConfig, { text: '-o ProxyJump=none', what: 'common' }] }).via, undefined)
  const jumpKey = resolver.target({ ...base, host: 'lab-9', privateKeyFile: '/keys/lab', args: [{ text: '-J root@10.250.9.11', what: 'common' }] })
  t.deepEqual(jumpKey.via?.map((h) => [h.address, h.user, h.identityFiles]), [['10.250.9.11', 'root', ['/keys/lab']]])
})

test('bad ssh settings are bad input, at the ssh_config line or naming the variable', (t) => {
  const bad = join(dir, 'bad_config')
  writeFileSync(bad, 'Host a\n  User x\n\nHost b\n  Port twenty\n')
  const err = t.throws(() => new SshConfigFiles([{ file: bad }]), { instanceOf: InputError })
  t.is(err!.format(), `${bad}:5: Port: expected a port number, got 'twenty'`)
  writeFileSync(bad, 'Host *\n  StrictHostKeyChecking maybe\n')
  t.regex(t.throws(() => new SshConfigFiles([{ file: bad }]))!.message, /StrictHostKeyChecking: expected yes, no, off, accept-new, ask/)
  t.regex(t.throws(() => parseSshArgs('-L 8080:localhost:80', 'ansible_ssh_common_args of host m5-01'))!.message, /ansible_ssh_common_args of host m5-01: ssh option -L is not supported/)
  t.regex(t.throws(() => parseSshArgs('-o', 'ssh_args'))!.message, /ssh option -o needs a value/)
  t.regex(t.throws(() => parseSshArgs('-o "Port 0"', 'ssh_args'))!.message, /Port: expected a port number/)
  t.regex(t.throws(() => parseSshArgs('gw', 'ssh_args'))!.message, /expected ssh options/)
  writeFileSync(bad, 'Host a\n  ProxyJump b\nHost b\n  ProxyJump a\n')
  t.regex(t.throws(() => resolver.target({ ...base, host: 'a', args: [{ text: `-F ${bad}`, what: 'ssh_args' }] }))!.message, /ProxyJump loops/)
  t.regex(t.throws(() => new SshResolver(dir).target({ ...base, args: [{ text: '-F nowhere.cfg', what: 'ssh_args' }] }))!.message, /cannot read this ssh_config: ENOENT/)
})

test('ControlMaster, Compression and other options labplay has no use for are ignored, as Ansible\'s default ssh_args', (t) => {
  const args = parseSshArgs('-C -o ControlMaster=auto -o ControlPersist=60s -4 -vv', 'ssh_args')
  t.deepEqual([...args.options.keys()], ['controlmaster', 'controlpersist'])
  t.like(resolver.target({ ...base, args: [{ text: '-C -o ControlMaster=auto -o ControlPersist=60s', what: 'ssh_args' }] }), { port: 22 })
})

test('without -F, ~/.ssh/config is read (then /etc/ssh/ssh_config), with Include relative to ~/.ssh', (t) => {
  const home = mkdtempSync(join(dir, 'home-'))
  cpSync(join(FIXTURE, 'conf.d'), join(home, '.ssh', 'conf.d'), { recursive: true })
  cpSync(join(FIXTURE, 'config'), join(home, '.ssh', 'config'))
  const own = new SshResolver(dir, home)
  t.like(own.target({ ...base, name: 'p', host: 'printer-a' }), { user: 'lp', port: 2022 })
  t.like(own.target({ ...base, name: 'g', host: 'gw' }), { address: '192.0.2.1', port: 2222, user: 'jump' })
})
