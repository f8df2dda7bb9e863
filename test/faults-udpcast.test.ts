import test from 'ava'
import { createHash, randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createLab, type Lab } from './lab/lab.ts'
import { labplayRun, retryHosts, shown, startLabplay, waitFor } from './fixtures/faults/run.ts'
import { cleanUp, project } from './helpers/labplay.ts'

// Ctrl-C in the middle of a multicast: no host takes a half image (final path absent or right),
// no udp-sender/udp-receiver is left anywhere, the retry file lists the hosts, -l @retry finishes.
let lab: Lab
let dir: string
let names: string[]
const IMAGE = randomBytes(40_000_000)
const SHA = createHash('sha256').update(IMAGE).digest('hex')
const FINAL = '/srv/labplay/images/win11-lab-2026.12.qcow2'

test.before(async () => {
  lab = await createLab({ hosts: 4 })
  names = lab.hosts.map((h) => h.name)
  dir = project({})
  const source = join(dir, 'win11-lab-2026.12.qcow2')
  writeFileSync(source, IMAGE)
  const manifest = { name: 'win11-lab', version: '2026.12', size: IMAGE.length, sha256: SHA, source }
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ image: manifest }))
  writeFileSync(join(dir, 'site.yml'), `- name: Image\n  hosts: lab\n  roles:\n    - udpcast\n`)
})

test.after.always(() => cleanUp(lab, dir))

async function sh(host: string, command: string): Promise<string> {
  return (await lab.exec(host, command, { timeoutMs: 60_000 })).stdout
}

// udp-sender / udp-receiver processes in the controller's namespace (where labplay runs the sender).
async function controllerUdpcast(): Promise<string[]> {
  const pids = (await lab.controller(['ip', 'netns', 'pids', lab.controllerNs])).stdout.split('\n').filter(Boolean)
  return pids.map((p) => { try { return readFileSync(`/proc/${p}/comm`, 'utf8').trim() } catch { return '' } }).filter((c) => c.startsWith('udp-'))
}

test.serial('Ctrl-C mid-multicast: every image is absent or right, no udpcast process left, the retry file lists the hosts', async (t) => {
  const args = [join(dir, 'site.yml'), '-e', '@manifest.json', '-t', 'udpcast', '-T', '5']
  // 40 MB at 40 Mbit/s: about 8 s of transfer, time enough to interrupt it in the middle.
  const running = startLabplay(lab, [...args, '-e', '{"udpcast_max_bitrate": "40m"}'], { cwd: dir, timeoutMs: 120_000 })
  await waitFor('a receiver has written 4 MB', async () =>
    Number((await sh(names[0]!, `stat -c %s ${FINAL}.part 2>/dev/null || echo 0`)).trim()) > 4_000_000, 60_000)
  t.true((await lab.exec(names[1]!, 'pgrep -x udp-receiver')).code === 0, 'receivers are running')
  running.interrupt()
  const ran = await running.done
  t.is(ran.code, 99, shown(ran))
  t.regex(ran.stdout, /PLAY RECAP/)
  const unfinished: string[] = []
  for (const h of names) {
    const sum = await sh(h, `sha256sum < ${FINAL} 2>/dev/null | cut -c1-64`)
    t.true(sum === '' || sum === `${SHA}\n`, `${h}: the image is absent or right, never half: ${sum}`)
    if (sum !== `${SHA}\n`) unfinished.push(h)
    t.is(await sh(h, 'pgrep -a -x "udp-sender|udp-receiver" || true'), '', `${h}: no udpcast process left`)
  }
  t.deepEqual(await controllerUdpcast(), [], 'no udp-sender left on the controller')
  t.true(unfinished.length > 0, 'the interrupt came before the end')
  const retry = retryHosts(dir)
  for (const h of unfinished) t.true(retry.includes(h), `${h} has no image: in the retry file ${JSON.stringify(retry)}`)

  const rerun = await labplayRun(lab, [...args, '-l', `@${join(dir, 'site.retry')}`], { cwd: dir, timeoutMs: 120_000 })
  t.is(rerun.code, 0, shown(rerun))
  t.deepEqual([...rerun.recap.keys()].sort(), [...retry].sort())
  t.deepEqual(retryHosts(dir), [])
  for (const h of names) {
    t.is(await sh(h, `sha256sum < ${FINAL} | cut -c1-64`), `${SHA}\n`, `${h} holds the image`)
    t.is(await sh(h, 'ls -a /srv/labplay/images | grep part || true'), '', `${h}: no .part left`)
  }
  const again = await labplayRun(lab, args, { cwd: dir })
  t.is(again.code, 0, shown(again))
  for (const h of names) t.is(again.recap.get(h)?.changed, 0, `${h}: nothing left to change`)
})

test.serial('an image name holding shell syntax is refused clearly on every host; nothing runs', async (t) => {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { image: Record<string, unknown> }
  const evil = { image: { ...manifest.image, name: 'win$(touch /tmp/pwn-image)`touch /tmp/pwn-image2`;-rf' } }
  writeFileSync(join(dir, 'evil.json'), JSON.stringify(evil))
  const ran = await labplayRun(lab, [join(dir, 'site.yml'), '-e', '@evil.json', '-t', 'udpcast', '-T', '5'], { cwd: dir })
  t.is(ran.code, 2, shown(ran))
  for (const h of names) {
    t.like(ran.recap.get(h), { failed: 1, unreachable: 0 })
    t.is(await sh(h, 'ls -a /tmp /root / /srv/labplay/images 2>/dev/null | grep -c pwn'), '0\n', `${h}: no marker file`)
  }
  t.regex(ran.stdout, /image\.name: expected letters, digits, '\.', '_' or '-'/)
})

// A student with root on a seat of the room runs udp-sender there, hoping to serve the room its own
// bytes. The room's range is udpcast_portbase 9000 with 5 pairs (the role's defaults).
const RANGE = [9000, 9002, 9004, 9006, 9008]

// Each rogue serves its zeros (the image's size) to whoever joins, and starts again once done (at most
// 20 times, while /root/rogue.on exists); its log keeps every "New connection".
async function withRogues(seat: string, ports: number[], extra: string, run: () => Promise<void>): Promise<string[]> {
  await sh(seat, `head -c ${IMAGE.length} /dev/zero > /root/rogue.img && touch /root/rogue.on`)
  for (const p of ports) {
    const rogue = `udp-sender --nokbd --file /root/rogue.img --interface eth0 --portbase ${p} --min-receivers 1 --start-timeout 120 ${extra}`
    await sh(seat, `setsid bash -c 'for i in $(seq 20); do [ -e /root/rogue.on ] || break; ${rogue}; done' >> /root/rogue-${p}.log 2>&1 < /dev/null &`)
  }
  try {
    await waitFor('the rogue senders are up', async () => Number((await sh(seat, 'pgrep -c -x udp-sender || true')).trim()) === ports.length, 10_000)
    await run()
    return await Promise.all(ports.map((p) => sh(seat, `cat /root/rogue-${p}.log`)))
  } finally {
    await sh(seat, 'rm -f /root/rogue.on; for i in 1 2 3; do pkill -x udp-sender; sleep 0.3; done; rm -f /root/rogue-*.log; true')
  }
}

test.serial('a rogue udp-sender waiting on every port pair of the room captures no receiver; the image arrives in one round', async (t) => {
  const targets = names.slice(0, 3)
  await Promise.all(targets.map((h) => sh(h, `rm -f ${FINAL}`)))
  let ran: Awaited<ReturnType<typeof labplayRun>> | undefined
  const logs = await withRogues(names[3]!, RANGE, '', async () => {
    ran = await labplayRun(lab, [join(dir, 'site.yml'), '-e', '@manifest.json', '-t', 'udpcast', '-l', targets.join(',')], { cwd: dir, timeoutMs: 120_000 })
  })
  t.is(ran!.code, 0, shown(ran!))
  t.notRegex(ran!.stdout, /round 1 failed/)
  for (const [i, log] of logs.entries()) t.notRegex(log, /New connection/, `the rogue on ${RANGE[i]} got no receiver:\n${log}`)
  for (const h of targets) {
    t.regex(ran!.stdout, new RegExp(`changed: \\[${h}\\] .*received 40\\.0 MB by multicast$`, 'm'))
    t.is(await sh(h, `sha256sum < ${FINAL} | cut -c1-64`), `${SHA}\n`, `${h} holds the real image`)
  }
})

test.serial('a rogue udp-sender calling the room on its base port spoils at most one round; the image arrives intact from the real sender', async (t) => {
  const targets = names.slice(0, 3)
  await Promise.all(targets.map((h) => sh(h, `rm -f ${FINAL}`)))
  let ran: Awaited<ReturnType<typeof labplayRun>> | undefined
  await withRogues(names[3]!, [RANGE[0]!], '--rexmit-hello-interval 100', async () => {
    ran = await labplayRun(lab, [join(dir, 'site.yml'), '-e', '@manifest.json', '-t', 'udpcast', '-l', targets.join(',')], { cwd: dir, timeoutMs: 180_000 })
  })
  t.is(ran!.code, 0, shown(ran!))
  for (const h of targets) t.is(await sh(h, `sha256sum < ${FINAL} | cut -c1-64`), `${SHA}\n`, `${h} holds the real image`)
  for (const h of names) t.is(await sh(h, 'pgrep -a -x "udp-sender|udp-receiver" || true'), '', `${h}: no udpcast process left`)
})
