import test from 'ava'
import { createHash, randomBytes } from 'node:crypto'
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { createLab, type Lab } from './lab/lab.ts'
import { cleanUp, labplay, project, type Ran } from './helpers/labplay.ts'

// The udpcast role on six real hosts: one multicast stream, verified copies, a retry round, no leftovers.
let lab: Lab
let dir: string
let names: string[]
const IMAGE = randomBytes(24_000_000)
const SHA = createHash('sha256').update(IMAGE).digest('hex')
const FINAL = '/srv/labplay/images/win11-lab-2026.11.qcow2'
const manifest = (source: string) => ({ name: 'win11-lab', version: '2026.11', size: IMAGE.length, sha256: SHA, source })

test.before(async () => {
  lab = await createLab({ hosts: 6 })
  names = lab.hosts.map((h) => h.name)
  dir = project({
    'site.yml': `- name: Image\n  hosts: lab\n  vars:\n    image: ${JSON.stringify(manifest('/SOURCE'))}\n  roles:\n    - udpcast\n`,
  })
  writeFileSync(join(dir, 'win11-lab-2026.11.qcow2'), IMAGE)
  writeFileSync(join(dir, 'site.yml'), readFileSync(join(dir, 'site.yml'), 'utf8').replace('/SOURCE', join(dir, 'win11-lab-2026.11.qcow2')))
  // Every udp-sender the controller starts leaves its arguments in sender.log.
  mkdirSync(join(dir, 'bin'))
  writeFileSync(join(dir, 'bin/udp-sender'), `#!/bin/sh\necho "$*" >> ${join(dir, 'sender.log')}\nexec /usr/bin/udp-sender "$@"\n`)
  chmodSync(join(dir, 'bin/udp-sender'), 0o755)
  writeFileSync(join(dir, 'sender.log'), '')
  // The last host already holds the right copy.
  await lab.must(names[5]!, `mkdir -p /srv/labplay/images && cat > ${FINAL}`, { input: IMAGE })
})

test.after.always(() => cleanUp(lab, dir))

const run = (args: string[] = []): Promise<Ran> =>
  labplay(lab, [join(dir, 'site.yml'), ...args], { cwd: dir, env: { PATH: `${join(dir, 'bin')}:${process.env.PATH}` } })

// The room's ports: udpcast_portbase 9000 and 5 pairs (the role's defaults); the pair a sender used.
const RANGE = [9000, 9002, 9004, 9006, 9008]
const portOf = (senderArgs: string) => Number(/--portbase (\d+)/.exec(senderArgs)?.[1])
const senders = (): string[] => readFileSync(join(dir, 'sender.log'), 'utf8').split('\n').filter(Boolean)
const sumOf = (host: string) => lab.must(host, `sha256sum < ${FINAL} 2>/dev/null || true`)
const inode = (host: string) => lab.must(host, `stat -c '%i %.9Y' ${FINAL}`)

// No .part (nor its checksum stamp) on any host, no udpcast process on the hosts or in the controller namespace.
async function clean(t: { deepEqual: (a: unknown, b: unknown, m?: string) => void }): Promise<void> {
  for (const h of names) {
    t.deepEqual(await lab.must(h, 'ls -a /srv/labplay/images 2>/dev/null | grep part || true'), '', `${h}: .part left`)
    t.deepEqual(await lab.must(h, 'pgrep -a udp- || true'), '', `${h}: udpcast process left`)
  }
  const pids = (await lab.controller(['ip', 'netns', 'pids', lab.controllerNs])).stdout.split('\n').filter(Boolean)
  const comms = pids.map((p) => { try { return readFileSync(`/proc/${p}/comm`, 'utf8').trim() } catch { return '' } })
  t.deepEqual(comms.filter((c) => c.startsWith('udp-')), [], 'udpcast process left on the controller')
}

test.serial('check mode on fresh hosts lists who would receive and changes nothing', async (t) => {
  const before = await inode(names[5]!)
  const ran = await run(['-C'])
  t.is(ran.code, 0, ran.stdout + ran.stderr)
  for (const h of names.slice(0, 5)) {
    t.is(ran.recap.get(h)!.changed, 1, h)
    t.regex(ran.stdout, new RegExp(`changed: \\[${h}\\] .*would receive 24\\.0 MB by multicast from the controller`))
    t.is(await lab.must(h, 'ls /srv/labplay 2>&1 || true'), 'ls: cannot access \'/srv/labplay\': No such file or directory\n')
  }
  t.is(ran.recap.get(names[5]!)!.changed, 0)
  t.is(await inode(names[5]!), before)
  t.deepEqual(senders(), [])
  await clean(t)
})

test.serial('one multicast round fills five hosts, verified; the host with the right copy receives nothing', async (t) => {
  const before = await inode(names[5]!)
  const started = Date.now()
  // Five receivers, their hashing and the sender share the lab's two cores with the rest of the suite: a receiver
  // slow to acknowledge was once dropped after the default 10 requests (and received in round 2, as designed).
  // This test is about the one stream; the drop policy has its own (a killed receiver) and the unit tests.
  const ran = await run(['-e', JSON.stringify({ udpcast_retries_until_drop: 200 })])
  t.log(`first run ${Date.now() - started} ms`)
  t.is(ran.code, 0, ran.stdout + ran.stderr)
  t.deepEqual(senders().map((l) => /--min-receivers (\d+)/.exec(l)?.[1]), ['5'], 'one stream for all five')
  t.true(RANGE.includes(portOf(senders()[0]!)), senders()[0])
  t.regex(senders()[0]!, /--max-bitrate 600m --retries-until-drop 200/)
  for (const h of names.slice(0, 5)) {
    t.deepEqual(ran.recap.get(h), { ok: 4, changed: 1, unreachable: 0, failed: 0, skipped: 0 }, h)
    t.regex(ran.stdout, new RegExp(`changed: \\[${h}\\] .*received 24\\.0 MB by multicast$`, 'm'))
    t.is(await sumOf(h), `${SHA}  -\n`, h)
  }
  t.deepEqual(ran.recap.get(names[5]!), { ok: 4, changed: 0, unreachable: 0, failed: 0, skipped: 0 })
  t.is(await inode(names[5]!), before, 'the right copy was not touched')
  await clean(t)
})

test.serial('a second run changes nothing and starts no sender', async (t) => {
  const ran = await run()
  t.is(ran.code, 0, ran.stdout + ran.stderr)
  for (const h of names) t.is(ran.recap.get(h)!.changed, 0, h)
  t.is(senders().length, 1)
})

test.serial('a receiver killed mid-transfer ends in a retry round, then the host is right', async (t) => {
  const [a, b, c] = names
  await Promise.all([a, b, c].map((h) => lab.must(h!, `rm -f ${FINAL}`)))
  const started = Date.now()
  const running = run(['-e', JSON.stringify({ udpcast_max_bitrate: '40m', udpcast_unicast_single: false })])
  let killed = false
  for (let i = 0; i < 400 && !killed; i++) {
    const size = Number((await lab.must(b!, `stat -c %s ${FINAL}.part 2>/dev/null || echo 0`)).trim())
    if (size > 4_000_000) killed = (await lab.exec(b!, 'pkill -KILL -x udp-receiver')).code === 0
    else await sleep(50)
  }
  t.true(killed, 'the receiver was killed mid-transfer')
  const ran = await running
  t.log(`kill and retry run ${Date.now() - started} ms`)
  t.is(ran.code, 0, ran.stdout + ran.stderr)
  t.deepEqual(senders().slice(1).map((l) => /--min-receivers (\d+)/.exec(l)?.[1]), ['3', '1'], 'a second round for the killed host only')
  const [first, second] = senders().slice(1).map(portOf)
  t.true(RANGE.includes(first!) && RANGE.includes(second!) && first !== second, `each round on its own pair of the room's range: ${first}, ${second}`)
  t.regex(ran.stdout, new RegExp(`\\[WARNING\\]: \\[${b}\\] round 1 failed, retrying: incomplete copy .*receiver killed by signal 9`))
  t.regex(ran.stdout, new RegExp(`changed: \\[${b}\\] .*received 24\\.0 MB by multicast \\(round 2\\)`))
  for (const h of [a, c]) t.regex(ran.stdout, new RegExp(`changed: \\[${h}\\] .*received 24\\.0 MB by multicast$`, 'm'))
  for (const h of [a, b, c]) t.is(await sumOf(h!), `${SHA}  -\n`, h)
  await clean(t)
})

test.serial('a single target gets a plain copy over its ssh connection', async (t) => {
  const h = names[3]!
  await lab.must(h, `echo wrong > ${FINAL}`)
  const before = senders().length
  const ran = await run()
  t.is(ran.code, 0, ran.stdout + ran.stderr)
  t.regex(ran.stdout, new RegExp(`changed: \\[${h}\\] .*received 24\\.0 MB by copy over ssh`))
  t.is(senders().length, before, 'no multicast for one host')
  t.is(await sumOf(h), `${SHA}  -\n`)
  await clean(t)
})

test.serial('a host of the play can be the sender', async (t) => {
  const [a, b] = names
  await Promise.all([a, b].map((h) => lab.must(h!, `rm -f ${FINAL}`)))
  const before = senders().length
  const ran = await run(['-e', JSON.stringify({ udpcast_sender_host: names[5], image: manifest(FINAL) })])
  t.is(ran.code, 0, ran.stdout + ran.stderr)
  t.is(senders().length, before, 'the controller sent nothing')
  for (const h of [a, b]) {
    t.regex(ran.stdout, new RegExp(`changed: \\[${h}\\] .*received 24\\.0 MB by multicast$`, 'm'))
    t.is(await sumOf(h!), `${SHA}  -\n`, h)
  }
  await clean(t)
})

test.serial('a bad manifest, a wrong source and an unknown sender host fail clearly', async (t) => {
  const badSha = await run(['-e', JSON.stringify({ image: { ...manifest('/nowhere'), sha256: 'abc' } })])
  t.is(badSha.code, 2)
  t.regex(badSha.stdout, /failed: \[.*\] udpcast : the manifest is valid.* => image\.sha256: expected 64 hex digits, got "abc"/)
  await lab.must(names[0]!, `rm -f ${FINAL}`)
  const noSource = await run(['-e', JSON.stringify({ image: manifest(join(dir, 'missing.qcow2')) })])
  t.is(noSource.code, 2)
  t.regex(noSource.stdout, new RegExp(`failed: \\[${names[0]}\\] .* => image\\.source .*missing\\.qcow2 does not exist on the controller`))
  t.is(noSource.recap.get(names[1]!)!.failed, 0, 'hosts with the right copy are fine')
  const noHost = await run(['-e', JSON.stringify({ udpcast_sender_host: 'nohost' })])
  t.is(noHost.code, 2)
  t.regex(noHost.stdout, /udpcast_sender_host 'nohost' is not a host of this play/)
  await clean(t)
})
