import test from 'ava'
import Database from 'better-sqlite3'
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createLab, type Lab } from './lab/lab.ts'
import { BIN, cleanUp, labplay, project, ROOT } from './helpers/labplay.ts'

// --wake on two real lab hosts: MACs come from a real first run; a "powered-off" host (sshd stopped)
// has a UDP listener on port 9 standing in for its NIC: on the magic packet for its own MAC, it starts
// sshd again (the machine boots). The CLI runs in the lab's controller namespace, whose only link is
// the lab bridge, so the broadcast reaches the lab hosts and nothing else.
let lab: Lab
let dir: string
let a: string, b: string
let records: string
let inventory: string
const macs = new Map<string, string>()

const PLAYBOOK = `- name: Lab notice
  hosts: lab
  roles:
    - role: lab-notice
`

// The "NIC" of a sleeping host: records every datagram on UDP port 9 (hex, one a line); on the magic
// packet for its MAC (built here independently of labplay's code), boots after a second: starts sshd.
const LISTENER = `import { createSocket } from 'node:dgram'
import { appendFileSync, writeFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
const [mac, out, ...boot] = process.argv.slice(2)
const bytes = Buffer.from(mac.replace(/:/g, ''), 'hex')
const magic = Buffer.concat([Buffer.alloc(6, 0xff), ...Array.from({ length: 16 }, () => bytes)])
const socket = createSocket('udp4')
let booting = false
socket.on('message', (packet) => {
  appendFileSync(out, packet.toString('hex') + '\\n')
  if (boot.length && !booting && packet.equals(magic)) {
    booting = true
    socket.close()
    setTimeout(() => { execFileSync(boot[0], boot.slice(1)); process.exit(0) }, 1000)
  }
})
socket.bind(9, () => writeFileSync(out + '.ready', ''))
setTimeout(() => process.exit(0), 120000)
`

test.before(async () => {
  lab = await createLab({ hosts: 2 })
  ;[a, b] = lab.hosts.map((h) => h.name) as [string, string]
  dir = project({ 'site.yml': PLAYBOOK })
  records = join(dir, 'runs.db')
  // The controller namespace has no default route, so 255.255.255.255 has no way out (ENETUNREACH):
  // the lab's hosts get their subnet's broadcast address, as a room's inventory would.
  const broadcast = lab.controllerAddress.replace(/\.\d+$/, '.255')
  inventory = join(dir, 'wol.ini')
  writeFileSync(inventory, `[lab]\n\n[lab:vars]\nwol_broadcast=${broadcast}\n`)
  writeFileSync(join(lab.dir, 'wol-listener.mjs'), LISTENER)
  for (const h of lab.hosts) {
    const link = await lab.exec(h.name, 'ip -o link show eth0')
    const mac = /link\/ether ([0-9a-f:]{17})/.exec(link.stdout)?.[1]
    if (!mac) throw new Error(`${h.name}: no MAC in ${link.stdout}`)
    macs.set(h.name, mac)
  }
})

test.after.always(() => cleanUp(lab, dir))

const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  labplay(lab, [join(dir, 'site.yml'), '-i', inventory, ...args], { cwd: dir, env: { LABPLAY_RECORDS: records, ...env }, timeoutMs: 90_000 })

// Starts the listener in `host` (in the background, in the host's namespaces); returns its output file
// and a way to stop it by its pid.
async function listen(host: string, boot: boolean): Promise<{ out: string; stop: () => Promise<void> }> {
  const out = join(lab.dir, `${host}.wol`)
  rmSync(out, { force: true })
  rmSync(`${out}.ready`, { force: true })
  const sshd = boot ? ` /usr/sbin/sshd -f ${join(lab.dir, host, 'sshd_config')} -E ${join(lab.dir, host, 'sshd.log')}` : ''
  const started = await lab.exec(host, `nohup /usr/bin/node ${join(lab.dir, 'wol-listener.mjs')} ${macs.get(host)} ${out}${sshd} >/dev/null 2>&1 & echo $!`)
  const pid = Number(started.stdout.trim())
  if (!pid) throw new Error(`${host}: listener did not start: ${started.stderr}`)
  for (let i = 0; i < 100 && !existsSync(`${out}.ready`); i++) await new Promise((r) => setTimeout(r, 50))
  if (!existsSync(`${out}.ready`)) throw new Error(`${host}: listener not ready after 5 s`)
  return { out, stop: async () => void (await lab.exec(host, `kill ${pid} 2>/dev/null || true`)) }
}

const received = (out: string) => (existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter(Boolean) : [])
const magicHex = (mac: string) => 'ff'.repeat(6) + mac.replace(/:/g, '').repeat(16)

test.serial('a first run records each host\'s MAC', async (t) => {
  const first = await run([])
  t.is(first.code, 0, first.stdout + first.stderr)
  const db = new Database(records, { readonly: true })
  t.teardown(() => db.close())
  for (const h of lab.hosts) {
    const row = db.prepare('SELECT macs FROM hosts WHERE host = ?').get(h.name) as { macs: string } | undefined
    t.deepEqual(JSON.parse(row?.macs ?? 'null'), [macs.get(h.name)], h.name)
  }
})

test.serial('--wake wakes the host that is off with its magic packet, waits for SSH, then runs', async (t) => {
  await lab.stopSsh(a)
  const sleeping = await listen(a, true)
  const awake = await listen(b, false)
  t.teardown(async () => {
    await sleeping.stop()
    await awake.stop()
  })
  const ran = await run(['--wake', '--wake-timeout', '30'])
  t.is(ran.code, 0, ran.stdout + ran.stderr)
  t.deepEqual(received(sleeping.out), [magicHex(macs.get(a)!)], 'exactly the 102-byte magic packet for its MAC')
  t.is(Buffer.from(received(sleeping.out)[0]!, 'hex').length, 102)
  t.true(ran.stdout.includes(`waking ${a} (${macs.get(a)})\n`), ran.stdout)
  t.regex(ran.stdout, new RegExp(`^${a} is up after \\d+ s$`, 'm'))
  t.false(ran.stdout.includes(`waking ${b}`), 'the host that answered was not woken')
  // The other host heard the broadcast (it went to the whole segment), but never a packet for its MAC.
  t.true(received(awake.out).length > 0, 'the broadcast reached the other host too')
  t.false(received(awake.out).includes(magicHex(macs.get(b)!)))
  t.deepEqual(ran.recap.get(a), { ok: 5, changed: 0, unreachable: 0, failed: 0, skipped: 0 }, ran.stdout)
  t.is(ran.recap.get(b)?.unreachable, 0)
  t.true(ran.stdout.indexOf(`${a} is up after`) < ran.stdout.indexOf('PLAY ['), 'woken before the run starts')
})

test.serial('a host that does not come up is reported, waited for no longer than --wake-timeout, and ends unreachable', async (t) => {
  await lab.stopSsh(b)
  t.teardown(() => lab.startSsh(b))
  const started = Date.now()
  const ran = await run(['--wake', '--wake-timeout', '3'])
  const seconds = (Date.now() - started) / 1000
  t.is(ran.code, 4, ran.stdout + ran.stderr)
  t.true(ran.stdout.includes(`waking ${b} (${macs.get(b)})\n`), ran.stdout)
  t.true(ran.stdout.includes(`${b} did not come up within 3 s\n`), ran.stdout)
  t.false(ran.stdout.includes(`waking ${a}`))
  t.is(ran.recap.get(b)?.unreachable, 1)
  t.is(ran.recap.get(a)?.unreachable, 0)
  t.true(seconds < 20, `took ${seconds} s`)
})

test.serial('Ctrl-C while waiting stops at once: exit 99, no run, nothing recorded', async (t) => {
  await lab.stopSsh(b)
  t.teardown(() => lab.startSsh(b))
  const db = new Database(records, { readonly: true })
  const runsBefore = (db.prepare('SELECT count(*) AS n FROM runs').get() as { n: number }).n
  db.close()
  const argv = ['netns', 'exec', lab.controllerNs, 'node', BIN, join(dir, 'site.yml'), '-i', lab.inventory, '-i', inventory, '--known-hosts', lab.knownHosts, '--wake', '--wake-timeout', '60']
  const child = spawn('ip', argv, { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', LABPLAY_RECORDS: records }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  const kill = setTimeout(() => child.kill('SIGKILL'), 60_000)
  t.teardown(() => clearTimeout(kill))
  for (let i = 0; i < 300 && !stdout.includes(`waking ${b}`); i++) await new Promise((r) => setTimeout(r, 50))
  t.true(stdout.includes(`waking ${b}`), stdout)
  const interrupted = Date.now()
  child.kill('SIGINT')
  const code = await exited
  t.is(code, 99)
  t.true(Date.now() - interrupted < 3000, `${Date.now() - interrupted} ms after Ctrl-C`)
  t.false(stdout.includes('PLAY RECAP'))
  t.false(stdout.includes('did not come up'))
  const after = new Database(records, { readonly: true })
  t.is((after.prepare('SELECT count(*) AS n FROM runs').get() as { n: number }).n, runsBefore)
  after.close()
})

test.serial('--wake without a run record or with --no-records is bad input (exit 5), and nothing is woken', async (t) => {
  const missing = join(dir, 'no-such.db')
  const none = await run(['--wake'], { LABPLAY_RECORDS: missing })
  t.is(none.code, 5, none.stdout + none.stderr)
  t.is(none.stderr, `ERROR: --wake: no runs recorded yet at ${missing} (the MACs to wake come from earlier runs)\n`)
  t.false(existsSync(missing))
  const off = await run(['--wake', '--no-records'])
  t.is(off.code, 5)
  t.regex(off.stderr, /^ERROR: --wake needs the run record/)
  const bad = await run(['--wake', '-e', 'wol_port=99999'])
  t.is(bad.code, 5)
  t.regex(bad.stderr, /wol_port '99999': expected a UDP port number from 1 to 65535/)
  t.false(`${none.stdout}${off.stdout}${bad.stdout}`.includes('waking'))
})
