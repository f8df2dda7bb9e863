import test from 'ava'
import { receiverArgs, receiverCommand, installCommand, parseJob, senderArgs, senderCommand } from '../../roles/udpcast/commands.ts'
import { interfaceFor, parseGetent, parseRoute } from '../../roles/udpcast/network.ts'
import { freshPortbase } from '../../roles/udpcast/ports.ts'
import { formatBytes, hostList, SenderWatch } from '../../roles/udpcast/progress.ts'
import { bitrate, readSettings, roundTimeoutMs } from '../../roles/udpcast/settings.ts'
import role from '../../roles/udpcast/index.ts'
import { throttle } from '../../roles/udpcast/transfer.ts'
import { stampPath } from '../../src/sdk/stamp.ts'

const SHA = 'a'.repeat(64)
const vars = (over: Record<string, unknown> = {}, image: Record<string, unknown> = {}) => ({
  ...role.defaults,
  image: { name: 'win11-lab', version: '2026.11', size: 8589934592, sha256: SHA, source: '/srv/labplay/source/win11-lab-2026.11.qcow2', ...image },
  ...over,
})

test('settings: the final path, the .part beside it, defaults that protect the network', (t) => {
  const s = readSettings(vars())
  t.is(s.final, '/srv/labplay/images/win11-lab-2026.11.qcow2')
  t.is(s.part, '/srv/labplay/images/win11-lab-2026.11.qcow2.part')
  t.is(s.bitsPerSecond, 600e6)
  t.is(s.portbase, 9000)
  t.is(s.portPairs, 5)
  t.is(s.senderHost, '')
  t.true(s.unicastSingle)
})

test('settings: strings from -e k=v are read as numbers and booleans', (t) => {
  const s = readSettings(vars({ udpcast_portbase: '9102', udpcast_port_pairs: '3', udpcast_unicast_single: 'false', images_dir: '/data/' }, { size: '1024' }))
  t.is(s.portbase, 9102)
  t.is(s.portPairs, 3)
  t.false(s.unicastSingle)
  t.is(s.manifest.size, 1024)
  t.is(s.final, '/data/win11-lab-2026.11.qcow2')
})

const bad: Array<[string, Record<string, unknown>, Record<string, unknown>, RegExp]> = [
  ['a manifest that is a string', { image: 'x' }, {}, /^image: expected the image manifest/],
  ['relative source', {}, { source: 'img.qcow2' }, /^image\.source: expected an absolute path/],
  ['no source (nothing to send)', {}, { source: '' }, /^image\.source: expected an absolute path on the sender, got ""$/],
  ['odd portbase', { udpcast_portbase: 9001 }, {}, /^udpcast_portbase: expected an even port/],
  ['a single port pair (a retry could not move)', { udpcast_port_pairs: 1 }, {}, /^udpcast_port_pairs: expected a whole number from 2 to 1000, got 1/],
  ['a range past the last port', { udpcast_portbase: 65530, udpcast_port_pairs: 5 }, {}, /^udpcast_port_pairs: the room's ports 65530-65539 go past 65535/],
  ['bitrate with a unit udpcast does not know', { udpcast_max_bitrate: '1g' }, {}, /^udpcast_max_bitrate: expected bits per second/],
  ['max wait beyond the start timeout', { udpcast_max_wait_s: 60 }, {}, /^udpcast_max_wait_s \(60\) must be below udpcast_start_timeout_s \(60\)/],
  ['not a boolean', { udpcast_unicast_single: 'maybe' }, {}, /^udpcast_unicast_single: expected true or false/],
]
for (const [title, over, image, message] of bad) {
  test(`settings: ${title} is a clear error`, (t) => {
    t.throws(() => readSettings(vars(over, image)), { message })
  })
}

test('bitrate: udpcast units', (t) => {
  t.is(bitrate('600m'), 600e6)
  t.is(bitrate('5000k'), 5e6)
  t.is(bitrate('100000000'), 1e8)
})

test('a round is bounded: rendezvous, three times the capped transfer, stragglers', (t) => {
  const s = readSettings(vars())
  // 8 GiB at 600 Mbit/s is 114.5 s; 60 + 20 + 343.6 + 60 + 30 → 514 s.
  t.is(roundTimeoutMs(s), 514_000)
})

test('receiver and sender arguments', (t) => {
  const s = readSettings(vars({ udpcast_portbase: 9050 }))
  const rdv = { portbase: 9054, sender: '10.5.0.1' }
  t.deepEqual(receiverArgs(s, 'eth0', rdv), [
    'udp-receiver', '--nokbd', '--no-progress', '--interface', 'eth0', '--portbase', 9054, '--mcast-rdv-address', '10.5.0.1',
    '--start-timeout', 60, '--receive-timeout', 60,
  ])
  const cmd = receiverCommand(s, 'eth0', rdv)
  t.true(cmd.includes(`--receive-timeout 60 | tee -- /srv/labplay/images/win11-lab-2026.11.qcow2.part | sha256sum >`), cmd)
  t.true(cmd.includes('mv -f -- /srv/labplay/images/.win11-lab-2026.11.qcow2.part.sha256.tmp.2 /srv/labplay/images/.win11-lab-2026.11.qcow2.part.sha256'), cmd)
  t.deepEqual(senderArgs(s, 'br0', 18, 9054), [
    'udp-sender', '--nokbd', '--file', '/srv/labplay/source/win11-lab-2026.11.qcow2', '--interface', 'br0', '--portbase', 9054,
    '--min-receivers', 18, '--min-wait', 0, '--max-wait', 20, '--start-timeout', 60, '--max-bitrate', '600m', '--retries-until-drop', 10,
  ])
})

test('each round draws an even port of the room\'s range at random, never the previous round\'s', (t) => {
  const s = readSettings(vars({ udpcast_portbase: 9050, udpcast_port_pairs: 5 }))
  const range = [9050, 9052, 9054, 9056, 9058]
  const seen = new Set<number>()
  let previous: number | undefined
  for (let i = 0; i < 200; i++) {
    const p = freshPortbase(s, previous)
    t.true(range.includes(p), String(p))
    t.not(p, previous)
    seen.add(p)
    previous = p
  }
  t.deepEqual([...seen].sort(), range, 'every pair of the range is used')
  t.is(freshPortbase({ portbase: 9000, portPairs: 2 }, 9000), 9002)
})

test('commands quote every value', (t) => {
  const s = readSettings(vars({}, { source: "/srv/it's here/$(img)" }))
  const cmd = receiverCommand(s, 'eth0; reboot', { portbase: 9000, sender: '10.0.0.1' })
  t.true(cmd.includes(`--interface $'eth0; reboot'`), cmd)
  t.true(cmd.startsWith(`mkdir -p -- /srv/labplay/images && rm -f -- `), cmd)
  t.regex(cmd, /& echo "pid \$!"; wait "\$!"; echo "rc \$\?"; }$/)
  t.true(senderCommand(s, 'br0', 2, 9000).includes(`--file $'/srv/it\\'s here/$(img)' --interface br0`))
})

test('the checksum stamp moves with the verified file', (t) => {
  const s = readSettings(vars({ images_dir: '/i' }))
  t.is(installCommand(s), 'mv -f -- /i/win11-lab-2026.11.qcow2.part /i/win11-lab-2026.11.qcow2 && { mv -f -- /i/.win11-lab-2026.11.qcow2.part.sha256 /i/.win11-lab-2026.11.qcow2.sha256 2>/dev/null || rm -f -- /i/.win11-lab-2026.11.qcow2.sha256; }')
})

test('a job reports its pid, then its exit code', (t) => {
  t.deepEqual(parseJob(''), {})
  t.deepEqual(parseJob('pid 4242\n'), { pid: 4242 })
  t.deepEqual(parseJob('pid 4242\nrc 137\n'), { pid: 4242, rc: 137 })
})

test('the receiver interface is the one whose subnet holds the sender', (t) => {
  const interfaces = [
    { name: 'lo', mac: '', addresses: ['127.0.0.1/8', '::1/128'] },
    { name: 'eth0', mac: 'aa', addresses: ['fe80::1/64', '10.250.3.11/24'] },
    { name: 'eth1', mac: 'bb', addresses: ['192.168.7.2/16'] },
  ]
  t.is(interfaceFor(interfaces, '10.250.3.1'), 'eth0')
  t.is(interfaceFor(interfaces, '192.168.200.9'), 'eth1')
  t.is(interfaceFor(interfaces, '10.250.4.1'), undefined)
  t.is(interfaceFor(interfaces, 'not-an-ip'), undefined)
})

test('ip route get and getent output', (t) => {
  t.deepEqual(parseRoute('10.250.3.11 dev br0 src 10.250.3.1 uid 0 \\    cache '), { dev: 'br0', src: '10.250.3.1' })
  t.deepEqual(parseRoute('RTNETLINK answers: Network is unreachable'), {})
  t.is(parseGetent('10.250.3.12     STREAM m5-02\n'), '10.250.3.12')
  t.is(parseGetent(''), undefined)
})

test('udp-sender output becomes bytes, rate, connections and dropped receivers', (t) => {
  const w = new SenderWatch(8_000_000, 3)
  w.feed('Udp-sender 20120424\nUsing mcast address 234.250.2.1\nNew connection from 10.250.2.12  (#0) 00000009\nNew conn', 0)
  t.is(w.text(0), 'waiting for receivers: 1/3 connected')
  w.feed('ection from 10.250.2.13  (#1) 00000009\nNew connection from 10.250.2.11  (#2) 00000009\nStarting transfer: 00000009\n', 1000)
  w.feed('bytes=  1 544 816  re-xmits=0000000 (  0.0%) slice=0393 -   1\rbytes=  4 000 000  re-xmits=0000000 (  0.0%) slice=0613 -   1\r', 3000)
  t.is(w.text(3000), '4.0 MB of 8.0 MB (50%), 16.0 Mbit/s')
  w.feed('\nDropping client #1 because of timeout\nDisconnecting #1 (10.250.2.13)\nTransfer complete.\x07\n', 5000)
  t.deepEqual([...w.dropped], ['10.250.2.13'])
  t.true(w.complete)
})

test('sizes and host lists for the live view', (t) => {
  t.is(formatBytes(512), '512 B')
  t.is(formatBytes(24_000_000), '24.0 MB')
  t.is(formatBytes(8589934592), '8.6 GB')
  t.is(hostList(['m5-01', 'm5-02']), 'm5-01, m5-02')
  t.is(hostList(Array.from({ length: 18 }, (_, i) => `m5-${String(i + 1).padStart(2, '0')}`)), 'm5-01 … m5-18 (18 hosts)')
})

test('a plain copy is capped at the same bitrate', async (t) => {
  let seen = 0
  const cap = throttle(8_000_000, (n) => (seen = n))
  const started = Date.now()
  const out: Buffer[] = []
  cap.on('data', (c: Buffer) => out.push(c))
  const ended = new Promise((resolve) => cap.on('end', resolve))
  for (let i = 0; i < 4; i++) cap.write(Buffer.alloc(50_000))
  cap.end()
  await ended
  // 200 kB at 1 MB/s: at least 200 ms.
  t.true(Date.now() - started >= 190, `${Date.now() - started} ms`)
  t.is(seen, 200_000)
  t.is(Buffer.concat(out).length, 200_000)
})

// The receiver pipeline, run for real in a temporary folder with a stand-in `udp-receiver` on PATH.
test('the receiver hashes the stream as it writes it: the .part and its checksum stamp agree', async (t) => {
  const { mkdtempSync, writeFileSync, readFileSync, existsSync, statSync, chmodSync, rmSync } = await import('node:fs')
  const { createHash } = await import('node:crypto')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const { execFileSync } = await import('node:child_process')
  const dir = mkdtempSync(join(tmpdir(), 'labplay-udp-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const data = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 31) % 251))
  writeFileSync(join(dir, 'stream'), data)
  const fake = (rc: number) => writeFileSync(join(dir, 'udp-receiver'), `#!/bin/sh\ncat ${join(dir, 'stream')}\nexit ${rc}\n`)
  const s = readSettings(vars({ images_dir: join(dir, 'images') }))
  const run = () => execFileSync('bash', ['-c', receiverCommand(s, 'eth0', { portbase: 9000, sender: '10.0.0.1' })], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } }).toString()

  fake(0)
  chmodSync(join(dir, 'udp-receiver'), 0o755)
  t.deepEqual(parseJob(run()).rc, 0)
  t.deepEqual(readFileSync(s.part), data)
  const st = statSync(s.part)
  const [sum, size, mtime, inode] = readFileSync(stampPath(s.part), 'utf8').trim().split(' ')
  t.is(sum, createHash('sha256').update(data).digest('hex'))
  t.is(Number(size), data.length)
  t.is(Number(inode), st.ino)
  t.true(Math.abs(Number(mtime) - st.mtimeMs / 1000) < 0.001)

  fake(3) // the receiver fails: its exit code is the job's, and no stamp vouches for the .part
  t.deepEqual(parseJob(run()).rc, 3)
  t.false(existsSync(stampPath(s.part)))
  t.false(existsSync(`${stampPath(s.part)}.tmp`))
})
