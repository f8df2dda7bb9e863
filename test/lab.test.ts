import test from 'ava'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createLab, destroyStaleLabs } from './lab/lab.ts'
import type { Lab } from './lab/lab.ts'
import { labNamespaces } from './lab/network.ts'
import { run } from './lab/run.ts'
import { cleanUp } from './helpers/labplay.ts'

const CLI = fileURLToPath(new URL('lab/cli.ts', import.meta.url))
let lab: Lab

test.before(async () => {
  await destroyStaleLabs()
  lab = await createLab({ hosts: 3 })
})

test.after.always(() => cleanUp(lab))

// The system OpenSSH client, run where labplay runs: in the controller namespace.
function ssh(address: string, command: string, checking = 'accept-new') {
  return lab.controller(['ssh', '-F', '/dev/null', '-i', lab.privateKey, '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5',
    '-o', `UserKnownHostsFile=${lab.knownHosts}`, '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', `StrictHostKeyChecking=${checking}`, `root@${address}`, command], { timeoutMs: 20_000 })
}

test.serial('each host answers ssh as root with its own hostname', async (t) => {
  for (const h of lab.hosts) {
    const r = await ssh(h.address, 'hostname; cat /etc/hostname; id -u')
    t.is(r.code, 0, r.stderr)
    t.is(r.stdout, `${h.name}\n${h.name}\n0\n`)
  }
  t.deepEqual(lab.hosts.map((h) => h.name), [1, 2, 3].map((i) => `${lab.id}-0${i}`))
})

test.serial('the sftp subsystem serves files (ssh libraries upload with it)', async (t) => {
  const h = lab.hosts[0]!
  const copy = join(lab.dir, 'sftp-hostname')
  const r = await lab.controller(['sftp', '-F', '/dev/null', '-i', lab.privateKey, '-o', 'BatchMode=yes',
    '-o', `UserKnownHostsFile=${lab.knownHosts}`, '-o', 'StrictHostKeyChecking=accept-new', '-b', '-', `root@${h.address}`],
  { input: `get /etc/hostname ${copy}\n`, timeoutMs: 20_000 })
  t.is(r.code, 0, r.stderr)
  t.is(readFileSync(copy, 'utf8'), `${h.name}\n`)
})

test.serial('the inventory lists every host with its address, user and key', (t) => {
  const lines = readFileSync(lab.inventory, 'utf8').trim().split('\n')
  t.is(lines[0], '[lab]')
  t.deepEqual(lines.slice(1), lab.hosts.map((h) =>
    `${h.name} ansible_host=${h.address} ansible_user=root ansible_ssh_private_key_file=${lab.privateKey}`))
})

test.serial('a file written to /etc on one host is seen neither on another nor on the machine', async (t) => {
  const file = `/etc/labplay-lab-probe-${process.pid}-${Date.now()}`
  const [a, b] = lab.hosts
  t.is((await lab.exec(a!.name, `echo written > ${file}`)).code, 0)
  t.is((await lab.exec(a!.name, `cat ${file}`)).stdout, 'written\n')
  t.is((await lab.exec(b!.name, `test -e ${file}`)).code, 1)
  t.false(existsSync(file))
  t.true(existsSync(join(lab.dir, a!.name, 'upper', file)))
})

test.serial('each host has its own pid namespace with boot.sh as pid 1, and tmpfs on /tmp', async (t) => {
  const r = await lab.exec(lab.hosts[0]!.name, 'tr "\\0" " " < /proc/1/cmdline; echo; findmnt -n -o FSTYPE /tmp; ls /tmp | wc -l')
  t.regex(r.stdout, /^bash \S+boot\.sh lab\S+-01 10\.250\.\d+\.11 /)
  t.regex(r.stdout, /\ntmpfs\n0\n$/)
})

test.serial('hosts reach each other on the bridge', async (t) => {
  const [a, b, c] = lab.hosts
  for (const [from, to] of [[a!, b!], [b!, c!], [c!, a!]] as const) {
    const r = await lab.exec(from.name, `timeout 5 bash -c 'exec 3<>/dev/tcp/${to.address}/22; head -c 4 <&3'`)
    t.is(r.stdout, 'SSH-', `${from.name} → ${to.name}: ${r.stderr}`)
  }
})

test.serial('hosts and controller have a broadcast address and a multicast route', async (t) => {
  const subnet = lab.controllerAddress.replace(/\.1$/, '')
  for (const h of lab.hosts) {
    const r = await lab.exec(h.name, 'ip -4 -o addr show dev eth0; ip route show 224.0.0.0/4')
    t.true(r.stdout.includes(`inet ${h.address}/24 brd ${subnet}.255`), r.stdout)
    t.regex(r.stdout, /^224\.0\.0\.0\/4 dev eth0/m)
  }
  const ctl = await lab.controller(['ip', 'route', 'show', '224.0.0.0/4'])
  t.regex(ctl.stdout, /^224\.0\.0\.0\/4 dev br0/m)
  t.is((await lab.controller(['ip', '-o', 'link', 'show', 'lo'])).stdout.includes('UP'), true)
})

test.serial('udpcast carries a file from one host to two others by multicast', async (t) => {
  const [a, b, c] = lab.hosts
  const made = await lab.exec(a!.name, 'head -c 1000000 /dev/urandom > /root/image && sha256sum < /root/image')
  const receive = (h: string) => lab.exec(h, 'timeout 30 udp-receiver --nokbd --interface eth0 --file /root/image >/dev/null 2>&1 && sha256sum < /root/image')
  const [sent, gotB, gotC] = await Promise.all([
    lab.exec(a!.name, 'timeout 30 udp-sender --nokbd --interface eth0 --min-receivers 2 --file /root/image 2>&1'),
    receive(b!.name),
    receive(c!.name),
  ])
  t.is(sent.code, 0, sent.stdout)
  t.is(gotB.stdout, made.stdout)
  t.is(gotC.stdout, made.stdout)
})

test.serial('stopSsh refuses connections, the host stays up, startSsh brings back the same host key', async (t) => {
  const h = lab.hosts[2]!
  t.is((await ssh(h.address, 'true')).code, 0)
  await lab.stopSsh(h.name)
  const down = await ssh(h.address, 'true')
  t.is(down.code, 255)
  t.regex(down.stderr, /Connection refused/)
  t.is((await lab.exec(h.name, 'hostname')).stdout, `${h.name}\n`)
  await lab.startSsh(h.name)
  const back = await ssh(h.address, 'hostname', 'yes')
  t.is(back.code, 0, back.stderr)
  t.is(back.stdout, `${h.name}\n`)
})

test.serial('regenerateHostKey makes strict host key checking refuse the host', async (t) => {
  const h = lab.hosts[1]!
  t.is((await ssh(h.address, 'true')).code, 0)
  await lab.regenerateHostKey(h.name)
  const r = await ssh(h.address, 'true', 'yes')
  t.is(r.code, 255)
  t.regex(r.stderr, /REMOTE HOST IDENTIFICATION HAS CHANGED/)
})

test.serial('a second lab runs beside the first on its own subnet', async (t) => {
  const other = await createLab({ hosts: 1, prefix: 'other' })
  try {
    t.not(other.controllerAddress, lab.controllerAddress)
    t.is(other.hosts[0]!.name, 'other-01')
    const r = await other.controller(['ssh', '-F', '/dev/null', '-i', other.privateKey, '-o', 'BatchMode=yes',
      '-o', `UserKnownHostsFile=${other.knownHosts}`, '-o', 'StrictHostKeyChecking=accept-new',
      `root@${other.hosts[0]!.address}`, 'hostname'], { timeoutMs: 20_000 })
    t.is(r.stdout, 'other-01\n', r.stderr)
    const cross = await lab.controller(['bash', '-c', `timeout 2 bash -c 'exec 3<>/dev/tcp/${other.hosts[0]!.address}/22'`])
    t.not(cross.code, 0)
  } finally {
    await other.destroy()
  }
})

test.serial('destroyStaleLabs removes a lab whose creator died', async (t) => {
  const orphan = await createLab({ hosts: 1 })
  const dead = await run('bash', ['-c', 'echo $$'])
  const record = join(orphan.dir, 'lab.json')
  writeFileSync(record, JSON.stringify({ ...JSON.parse(readFileSync(record, 'utf8')), owner: Number(dead.stdout) }))
  t.true((await destroyStaleLabs()).includes(orphan.id))
  t.false(existsSync(orphan.dir))
  t.deepEqual((await labNamespaces()).filter((ns) => ns.includes(`-${orphan.id}-`)), [])
  t.true((await labNamespaces()).includes(lab.controllerNs))
})

test.serial('lab:up keeps a lab after the command ends, lab:down removes it', async (t) => {
  const name = `cli${process.pid}`
  const cli = (...args: string[]) => run(process.execPath, ['--import', 'tsx', CLI, ...args], { timeoutMs: 60_000 })
  const up = await cli('up', '--hosts', '2', '--name', name)
  t.is(up.code, 0, up.stderr)
  t.regex(up.stdout, new RegExp(`ip netns exec labplay-${name}-ctl npx labplay -i /\\S+/${name}/inventory.ini`))
  t.true((await labNamespaces()).includes(`labplay-${name}-02`))
  t.regex((await cli('status')).stdout, new RegExp(`^${name}: .*2/2 namespaces, kept`, 'm'))
  t.false((await destroyStaleLabs()).includes(name))
  const down = await cli('down', '--name', name)
  t.is(down.code, 0, down.stderr)
  t.false((await labNamespaces()).some((ns) => ns.startsWith(`labplay-${name}-`)))
  t.is((await cli('down', '--name', name)).code, 5)
})

test.serial('destroy removes namespaces and state, and can be repeated', async (t) => {
  await lab.destroy()
  const left = await labNamespaces()
  t.deepEqual(left.filter((ns) => ns === lab.controllerNs || lab.hosts.some((h) => h.ns === ns)), [])
  t.false(existsSync(lab.dir))
  await t.notThrowsAsync(lab.destroy())
})
