import test from 'ava'
import Database from 'better-sqlite3'
import { createSocket, type Socket } from 'node:dgram'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { InputError } from '../../src/errors.ts'
import { parseOptions } from '../../src/options.ts'
import { openRecords } from '../../src/records/store.ts'
import { magicPacket, parseMac, probeTcp, sendPackets, wake, wolDestination, type WakeHost } from '../../src/wake/index.ts'

// Wake-on-LAN without a lab: packet bytes, input checks, the sender and the wait, all on loopback.

const dirs: string[] = []
test.after.always(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'labplay-wake-'))
  dirs.push(dir)
  return dir
}

// A UDP listener on loopback that keeps every datagram with its arrival time.
async function listener(): Promise<{ port: number; got: Array<{ at: number; data: Buffer }>; close: () => void }> {
  const socket: Socket = createSocket('udp4')
  const got: Array<{ at: number; data: Buffer }> = []
  socket.on('message', (data) => got.push({ at: Date.now(), data }))
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
  return { port: (socket.address() as AddressInfo).port, got, close: () => socket.close() }
}

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  for (const end = Date.now() + ms; !cond() && Date.now() < end;) await new Promise((r) => setTimeout(r, 10))
}

test('the magic packet is 6 × 0xFF then the MAC 16 times, byte for byte', (t) => {
  const packet = magicPacket('52:54:00:12:34:56')
  t.is(packet.length, 102)
  t.is(packet.toString('hex'), 'ffffffffffff' + '525400123456'.repeat(16))
  t.deepEqual([...packet.subarray(0, 8)], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54])
})

test('MACs are read with colons or dashes, in any case', (t) => {
  t.deepEqual([...parseMac('aa:bb:cc:dd:ee:ff')], [0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff])
  t.deepEqual(parseMac('AA-BB-CC-DD-EE-FF'), parseMac('aa:bb:cc:dd:ee:ff'))
  t.deepEqual(magicPacket('0A-1b-2C-3d-4E-5f'), magicPacket('0a:1b:2c:3d:4e:5f'))
})

test('anything else is not a MAC: an InputError that names it', (t) => {
  for (const bad of ['', 'aa:bb:cc:dd:ee', 'aa:bb:cc:dd:ee:ff:00', 'aa:bb:cc:dd:ee:gg', 'aabbccddeeff', 'aa:bb-cc:dd:ee:ff', 'a:bb:cc:dd:ee:ff', 'aa.bb.cc.dd.ee.ff', 'm5-07']) {
    const err = t.throws(() => magicPacket(bad), { instanceOf: InputError }, bad)
    t.is(err?.message, `MAC address '${bad}': expected six hex pairs such as aa:bb:cc:dd:ee:ff`)
  }
  t.throws(() => parseMac(42 as unknown as string), { instanceOf: InputError })
})

test('wol_broadcast and wol_port: defaults, overrides, and bad values refused', (t) => {
  t.deepEqual(wolDestination('m5-07', {}), { broadcast: '255.255.255.255', port: 9 })
  t.deepEqual(wolDestination('m5-07', { wol_broadcast: '10.5.0.255', wol_port: 7 }), { broadcast: '10.5.0.255', port: 7 })
  t.deepEqual(wolDestination('m5-07', { wol_port: '40000' }), { broadcast: '255.255.255.255', port: 40000 })
  for (const [vars, message] of [
    [{ wol_broadcast: 'm5.broadcast' }, "host m5-07: wol_broadcast 'm5.broadcast': expected an IPv4 broadcast address such as 192.168.5.255"],
    [{ wol_broadcast: 'ff02::1' }, "host m5-07: wol_broadcast 'ff02::1': expected an IPv4 broadcast address such as 192.168.5.255"],
    [{ wol_broadcast: '10.5.0.256' }, "host m5-07: wol_broadcast '10.5.0.256': expected an IPv4 broadcast address such as 192.168.5.255"],
    [{ wol_broadcast: 10 }, "host m5-07: wol_broadcast '10': expected an IPv4 broadcast address such as 192.168.5.255"],
    [{ wol_port: 0 }, "host m5-07: wol_port '0': expected a UDP port number from 1 to 65535"],
    [{ wol_port: 65536 }, "host m5-07: wol_port '65536': expected a UDP port number from 1 to 65535"],
    [{ wol_port: 'nine' }, "host m5-07: wol_port 'nine': expected a UDP port number from 1 to 65535"],
    [{ wol_port: 9.5 }, "host m5-07: wol_port '9.5': expected a UDP port number from 1 to 65535"],
    [{ wol_port: true }, "host m5-07: wol_port 'true': expected a UDP port number from 1 to 65535"],
  ] as const) {
    t.throws(() => wolDestination('m5-07', vars), { instanceOf: InputError, message }, JSON.stringify(vars))
  }
})

test.serial('each packet goes out three times, about 100 ms apart', async (t) => {
  const l = await listener()
  t.teardown(l.close)
  const a = magicPacket('aa:bb:cc:dd:ee:01')
  const b = magicPacket('aa:bb:cc:dd:ee:02')
  await sendPackets([a, b], { broadcast: '127.0.0.1', port: l.port })
  await until(() => l.got.length >= 6)
  t.is(l.got.length, 6)
  t.deepEqual(l.got.map((g) => g.data.toString('hex')), [a, b, a, b, a, b].map((p) => p.toString('hex')))
  const gaps = [l.got[2]!.at - l.got[0]!.at, l.got[4]!.at - l.got[2]!.at]
  for (const gap of gaps) t.true(gap >= 80 && gap < 1000, `gap ${gap} ms`)
})

test('the SSH probe: an open port answers, a closed one does not, both quickly', async (t) => {
  const server = createServer((s) => s.destroy())
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => server.close())
  const open = (server.address() as AddressInfo).port
  const closedServer = createServer()
  await new Promise<void>((resolve) => closedServer.listen(0, '127.0.0.1', resolve))
  const closed = (closedServer.address() as AddressInfo).port
  await new Promise((resolve) => closedServer.close(resolve))
  t.true(await probeTcp('127.0.0.1', open, 2000))
  const started = Date.now()
  t.false(await probeTcp('127.0.0.1', closed, 2000))
  t.true(Date.now() - started < 1000)
  const aborted = AbortSignal.abort()
  t.false(await probeTcp('127.0.0.1', open, 2000, aborted))
})

// A record with the MACs of earlier runs, as the recorder leaves it.
function recordWith(macs: Record<string, string[] | null>): string {
  const path = join(tempDir(), 'runs.db')
  openRecords(path).close()
  const db = new Database(path)
  for (const [host, list] of Object.entries(macs)) {
    db.prepare('INSERT INTO hosts (host, macs) VALUES (?, ?)').run(host, list ? JSON.stringify(list) : null)
  }
  db.close()
  return path
}

function host(name: string, port: number): WakeHost {
  return { name, address: '127.0.0.1', port: 22, to: { broadcast: '127.0.0.1', port } }
}

test('only hosts that do not answer are woken; the wait reports who came up and who did not', async (t) => {
  const l = await listener()
  t.teardown(l.close)
  const records = recordWith({ up: ['aa:bb:cc:00:00:01'], late: ['aa:bb:cc:00:00:02', 'aa:bb:cc:00:00:12'], off: ['aa:bb:cc:00:00:03'], 'no-mac': null })
  const hosts = ['up', 'late', 'off', 'no-mac', 'never-seen'].map((n) => host(n, l.port))
  const probes = new Map<string, number>()
  const lines: string[] = []
  const started = Date.now()
  const outcome = await wake(hosts, {
    records, timeoutS: 1, signal: new AbortController().signal, pollMs: 50, write: (line) => lines.push(line),
    // "late" answers on its third probe (the second poll after the packets), "off" never does.
    probe: async (h) => {
      const n = (probes.get(h.name) ?? 0) + 1
      probes.set(h.name, n)
      return h.name === 'up' || (h.name === 'late' && n >= 3)
    },
  })
  t.true(Date.now() - started < 3000, 'bounded by the timeout')
  t.deepEqual(outcome, { woken: ['late', 'off'], up: ['late'], notUp: ['off'], noMac: ['no-mac', 'never-seen'] })
  t.deepEqual(lines.slice(0, 4), [
    'cannot wake no-mac: no MAC recorded (never reached)\n',
    'cannot wake never-seen: no MAC recorded (never reached)\n',
    'waking late (aa:bb:cc:00:00:02, aa:bb:cc:00:00:12)\n',
    'waking off (aa:bb:cc:00:00:03)\n',
  ])
  t.is(lines[4], 'late is up after 0 s\n')
  t.is(lines[5], 'off did not come up within 1 s\n')
  t.is(lines.length, 6)
  t.is(probes.get('up'), 1, 'a host that answers is probed once and left alone')
  t.true(probes.get('off')! >= 5, `off probed ${probes.get('off')} times in the second of waiting`)
  await until(() => l.got.length >= 9)
  const received = new Set(l.got.map((g) => g.data.toString('hex')))
  t.deepEqual(received, new Set(['aa:bb:cc:00:00:02', 'aa:bb:cc:00:00:12', 'aa:bb:cc:00:00:03'].map((m) => magicPacket(m).toString('hex'))))
  t.is(l.got.length, 9, 'three packets, three times each')
})

test('nobody down: nothing sent, one line', async (t) => {
  const lines: string[] = []
  const outcome = await wake([host('a', 9), host('b', 9)], {
    records: recordWith({ a: ['aa:bb:cc:00:00:01'] }), timeoutS: 5, signal: new AbortController().signal,
    write: (line) => lines.push(line), probe: async () => true,
  })
  t.deepEqual(outcome, { woken: [], up: [], notUp: [], noMac: [] })
  t.deepEqual(lines, ['wake: all 2 hosts answer on SSH, none to wake\n'])
})

test('the interrupt stops the wait at once', async (t) => {
  const l = await listener()
  t.teardown(l.close)
  const abort = new AbortController()
  const lines: string[] = []
  setTimeout(() => abort.abort(), 300)
  const started = Date.now()
  const outcome = await wake([host('off', l.port)], {
    records: recordWith({ off: ['aa:bb:cc:00:00:03'] }), timeoutS: 60, signal: abort.signal, pollMs: 1000,
    write: (line) => lines.push(line), probe: async () => false,
  })
  t.true(Date.now() - started < 1500, `${Date.now() - started} ms`)
  t.deepEqual(lines, ['waking off (aa:bb:cc:00:00:03)\n'])
  t.deepEqual(outcome.notUp, [])
})

test('--wake without a record is bad input, before any host is probed', async (t) => {
  let probed = 0
  const opts = { timeoutS: 5, signal: new AbortController().signal, write: () => {}, probe: async () => (probed++, false) }
  const missing = join(tempDir(), 'nothing-here.db')
  await t.throwsAsync(wake([host('a', 9)], { ...opts, records: missing }), {
    instanceOf: InputError, message: `--wake: no runs recorded yet at ${missing} (the MACs to wake come from earlier runs)`,
  })
  t.is(probed, 0)
})

test('options: --wake, --wake-timeout, and --wake with --no-records refused', (t) => {
  const o = parseOptions(['site.yml', '--wake', '--wake-timeout', '30'])
  t.true(o.wake)
  t.is(o.wakeTimeoutS, 30)
  const d = parseOptions(['site.yml'])
  t.false(d.wake)
  t.is(d.wakeTimeoutS, 180)
  t.throws(() => parseOptions(['site.yml', '--wake', '--wake-timeout', '0']), { instanceOf: InputError, message: "--wake-timeout '0': expected a whole number of at least 1" })
  t.throws(() => parseOptions(['site.yml', '--wake', '--no-records']), { instanceOf: InputError, message: /--wake needs the run record/ })
})
