import test from 'ava'
import { testWhere } from '../helpers/test-where.ts'
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { hostname, totalmem, userInfo } from 'node:os'
import { FACT_VALUE_LIMIT, FACTS_SCRIPT, compareVersions, parseFacts } from '../../src/sdk/facts.ts'
import type { Facts } from '../../src/sdk/facts.types.ts'
import { quote } from 'zx'

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/facts/${name}`, import.meta.url), 'utf8')

function gather(prefix = ''): { facts: Facts; ms: number } {
  const start = performance.now()
  const stdout = execFileSync('bash', ['-c', prefix + FACTS_SCRIPT], { encoding: 'utf8' })
  return { facts: parseFacts(stdout), ms: performance.now() - start }
}

test('a systemd workstation with iproute2 and kvm_intel loaded', (t) => {
  const facts = parseFacts(fixture('workstation-systemd.txt'))
  t.deepEqual(facts, {
    hostname: 'm5-07',
    os: { id: 'debian', version: '12', codename: 'bookworm', pretty: 'Debian GNU/Linux 12 (bookworm)' },
    kernel: {
      running: '6.1.0-9-amd64',
      installed: ['6.1.0-9-amd64', '6.1.0-10-amd64', '6.1.0-13-amd64'],
      newestInstalled: '6.1.0-13-amd64',
    },
    cpu: { count: 8, model: 'Intel(R) Core(TM) i7-8700 CPU @ 3.20GHz', vendor: 'GenuineIntel', virtFlags: ['vmx'] },
    memory: { totalMb: 15936 },
    init: 'systemd',
    interfaces: [
      { name: 'lo', mac: '00:00:00:00:00:00', addresses: ['127.0.0.1/8', '::1/128'] },
      { name: 'enp0s31f6', mac: '90:1b:0e:aa:bb:cc', addresses: ['10.5.0.107/16', '2001:db8:5::107/64', 'fe80::921b:eff:feaa:bbcc/64'] },
      { name: 'virbr0-nic', mac: '52:54:00:12:34:56', addresses: [] },
      { name: 'tun0', mac: '', addresses: ['10.8.0.6/32'] },
    ],
    kvm: { device: true, builtin: false, loadedModules: ['kvm_intel', 'kvm'] },
    user: 'root',
    uid: 0,
    home: '/root',
    arch: 'x86_64',
    defaultRoute: { gateway: '10.5.0.1', interface: 'enp0s31f6' },
  })
})

test('a minimal sysv host without iproute2, kvm built in, odd values escaped', (t) => {
  const facts = parseFacts(fixture('minimal-sysv-no-ip.txt'))
  t.is(facts.hostname, 'odd=name\\with\nnewline')
  t.deepEqual(facts.os, { id: 'debian', version: '11', codename: 'bullseye', pretty: 'Debian "GNU"/Linux 11 \\ $(bullseye)' })
  t.deepEqual(facts.kernel, { running: '5.10.0-26-amd64', installed: [], newestInstalled: '5.10.0-26-amd64' })
  t.deepEqual(facts.cpu, { count: 2, model: 'AMD EPYC 7B13', vendor: 'AuthenticAMD', virtFlags: ['svm'] })
  t.is(facts.init, 'sysv')
  t.deepEqual(facts.interfaces, [
    { name: 'lo', mac: '00:00:00:00:00:00', addresses: ['127.0.0.1/8', '::1/128'] },
    { name: 'eth0', mac: '02:fc:00:00:00:01', addresses: ['192.0.2.2/24', 'fd00::2/64', 'fe80::fc:ff:fe00:1/64'] },
  ])
  t.deepEqual(facts.kvm, { device: false, builtin: true, loadedModules: [] })
  t.is(facts.user, 'student')
  t.is(facts.uid, 1000)
  t.deepEqual(facts.defaultRoute, { interface: 'eth0', gateway: '192.0.2.1' })
})

test('truncated output is an error, not half-empty facts', (t) => {
  t.throws(() => parseFacts(fixture('truncated.txt')), { message: /incomplete/ })
})

const versionOrder: Array<[string, string]> = [
  ['6.1.0-9-amd64', '6.1.0-13-amd64'],
  ['5.10.0-26-amd64', '6.1.0-1-amd64'],
  ['6.1.0-13-amd64', '6.1.0-13-rt-amd64'],
  ['4.19.0', '4.19.0-1'],
  ['6.18.9-fc', '6.18.44-fc-v657'],
  ['1.0~rc1', '1.0'],
  ['1.01', '1.2'],
]
for (const [older, newer] of versionOrder) {
  test(`version ${older} < ${newer}`, (t) => {
    t.true(compareVersions(older, newer) < 0)
    t.true(compareVersions(newer, older) > 0)
    t.is(compareVersions(older, older), 0)
  })
}

test('kernel versions sort as `sort -V` sorts them', (t) => {
  const kernels = ['6.1.0-13-amd64', '6.1.0-9-amd64', '5.10.0-26-amd64', '6.1.0-10-amd64', '6.10.2-1-amd64', '6.9.12-amd64', '6.1.0-13-cloud-amd64']
  const gnu = execFileSync('sort', ['-V'], { input: kernels.join('\n'), encoding: 'utf8' }).trim().split('\n')
  t.deepEqual([...kernels].sort(compareVersions), gnu)
})

test('the script, run for real, describes this machine', (t) => {
  const { facts, ms } = gather()
  t.log(`facts gathered in ${ms.toFixed(1)} ms (bash start included)`)
  t.true(ms < 1000)
  t.is(facts.kernel.running, execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim())
  t.is(facts.init, existsSync('/run/systemd/system') ? 'systemd' : 'sysv')
  t.is(facts.hostname, hostname())
  t.is(facts.uid, userInfo().uid)
  t.is(facts.user, userInfo().username)
  t.is(facts.cpu.count, (readFileSync('/proc/cpuinfo', 'utf8').match(/^processor\s*:/gm) ?? []).length)
  t.is(facts.memory.totalMb, Math.floor(totalmem() / 1024 / 1024))
  t.is(facts.kvm.device, existsSync('/dev/kvm') && statSync('/dev/kvm').isCharacterDevice())
  t.is(facts.kvm.builtin, existsSync('/sys/module/kvm') && !/^kvm /m.test(readOptional('/proc/modules')))
  t.is(facts.os.id, /^ID="?([^"\n]*)/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? '')
  for (const name of readdirSync('/sys/class/net')) {
    const iface = facts.interfaces.find((i) => i.name === name)
    t.truthy(iface, name)
    t.is(iface?.mac, readFileSync(`/sys/class/net/${name}/address`, 'utf8').trim())
  }
  t.deepEqual(facts.kernel.installed, [...facts.kernel.installed].sort(compareVersions))
  t.is(facts.kernel.newestInstalled, facts.kernel.installed.at(-1) ?? facts.kernel.running)
})

test('without iproute2 the script finds the same interfaces through /sys and /proc', (t) => {
  const withIp = gather().facts.interfaces
  const without = gather('ip() { return 127; }\n').facts.interfaces
  const shape = (list: Facts['interfaces']) => list.map((i) => ({ ...i, addresses: [...i.addresses].sort() }))
  t.deepEqual(shape(without), shape(withIp))
})

// Setting a hostname needs a private UTS namespace (root) and python3 on the controller.
const canRename = spawnSync('unshare', ['--uts', 'python3', '-c', 'import socket; socket.sethostname("x")']).status === 0

testWhere(canRename)('an odd hostname (newline, backslash, $()) survives the round trip', (t) => {
  const odd = 'odd=host\\name\nline2 $(touch /nonexistent/pwned)'
  const set = `python3 -c 'import socket,sys; socket.sethostname(sys.argv[1])' ${quote(odd)}\n`
  const stdout = execFileSync('unshare', ['--uts', 'bash', '-c', set + FACTS_SCRIPT], { encoding: 'utf8' })
  t.is(parseFacts(stdout).hostname, odd)
})

function readOptional(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : ''
}

test('a value past the limit is not sent: the script reads one byte past it, names no more, and reading the facts fails', (t) => {
  const fake = (bytes: number) => `uname() { head -c ${bytes} /dev/zero | tr '\\0' k; }\n`
  const stdout = execFileSync('bash', ['-c', fake(300_000) + FACTS_SCRIPT], { encoding: 'utf8' })
  t.true(stdout.length < FACT_VALUE_LIMIT, `${stdout.length} bytes of facts`)
  t.regex(stdout, /^kernel!8193$/m)
  t.throws(() => parseFacts(stdout), { message: "fact 'kernel': expected at most 8 KiB, got more" })
  const atLimit = execFileSync('bash', ['-c', fake(FACT_VALUE_LIMIT) + FACTS_SCRIPT], { encoding: 'utf8' })
  t.is(parseFacts(atLimit).kernel.running, 'k'.repeat(FACT_VALUE_LIMIT))
})
