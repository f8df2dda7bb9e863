import test, { type ExecutionContext } from 'ava'
import { execFileSync } from 'node:child_process'
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createLab, type Lab } from './lab/lab.ts'
import { cleanUp, ROOT } from './helpers/labplay.ts'
import { faultProject, labplayRun, playbook, retryHosts, shown, startLabplay, type Timed, waitFor } from './fixtures/faults/run.ts'

// Network and connection faults on five real SSH hosts: one host breaks, the others finish, the recap,
// exit code and retry file tell the truth, and a rerun with -l @retry finishes the job.
let lab: Lab
const dirs: string[] = []

test.before(async () => {
  lab = await createLab({ hosts: 5 })
})

test.after.always(() => cleanUp(lab, ...dirs))

// A fresh project per case (its own retry file), running the `slow` fixture role.
function slowProject(vars: Record<string, unknown>): string {
  const dir = faultProject({ 'site.yml': playbook('slow', vars) })
  dirs.push(dir)
  return dir
}

const others = (victim: string) => lab.hosts.map((h) => h.name).filter((n) => n !== victim)

async function mark(host: string, which: 'before' | 'after'): Promise<string> {
  return (await lab.exec(host, `cat /srv/faults/${which} 2>/dev/null`)).stdout
}

// Brings a host's link back with the routes a link-down flushes (the multicast route goes with it).
async function linkUp(host: string): Promise<void> {
  const r = await lab.exec(host, 'ip link set eth0 up && ip route replace 224.0.0.0/4 dev eth0')
  if (r.code !== 0) throw new Error(`${host}: link up: ${r.stderr}`)
  const address = lab.hosts.find((h) => h.name === host)!.address
  await waitFor(`${host} answers on port 22 again`, async () =>
    (await lab.controller(['bash', '-c', `exec 3<>/dev/tcp/${address}/22`], { timeoutMs: 5_000 })).code === 0)
}

// What each case checks at the end: the others are done.
async function othersFinished(t: ExecutionContext, victim: string, stamp: string, ran: Timed) {
  for (const h of others(victim)) {
    t.is(ran.recap.get(h)?.unreachable, 0, `${h} reachable`)
    t.is(ran.recap.get(h)?.failed, 0, `${h} not failed`)
    t.is(await mark(h, 'after'), `${h} ${stamp}\n`, `${h} finished the play`)
  }
}

// What each case of a host that cannot be reached checks: exit 4, the victim unreachable (not failed) and the
// output saying why, the others done, the victim alone in the retry file.
async function victimAloneUnreachable(t: ExecutionContext, dir: string, victim: string, stamp: string, ran: Timed, why: RegExp) {
  t.is(ran.code, 4, shown(ran))
  t.like(ran.recap.get(victim), { unreachable: 1, failed: 0 })
  t.regex(ran.stdout + ran.stderr, why)
  await othersFinished(t, victim, stamp, ran)
  t.deepEqual(retryHosts(dir), [victim])
}

// The rerun an admin would type: -l @site.retry, after the fault is gone; only the victim runs and finishes.
async function rerunRetry(t: ExecutionContext, dir: string, victim: string, stamp: string, extra: string[] = []) {
  const rerun = await labplayRun(lab, [join(dir, 'site.yml'), '-T', '5', '-l', `@${join(dir, 'site.retry')}`, ...extra], { cwd: dir })
  t.is(rerun.code, 0, shown(rerun))
  t.deepEqual([...rerun.recap.keys()], [victim])
  t.is(await mark(victim, 'after'), `${victim} ${stamp}\n`)
  t.deepEqual(retryHosts(dir), [], 'a clean run removes the retry file')
}

test.serial('a host whose link is down before the run: connect timeout (-T 2), unreachable, the others finish, exit 4', async (t) => {
  const victim = lab.hosts[0]!.name
  const dir = slowProject({ stamp: 'down-before' })
  await lab.exec(victim, 'ip link set eth0 down')
  try {
    const ran = await labplayRun(lab, [join(dir, 'site.yml'), '-T', '2'], { cwd: dir })
    await victimAloneUnreachable(t, dir, victim, 'down-before', ran, new RegExp(`${victim}.*connect timeout after 2s`))
    t.is(ran.recap.get(victim)?.changed, 0)
    t.true(ran.ms < 15_000, `bounded by -T: took ${Math.round(ran.ms)} ms`)
    t.is(await mark(victim, 'before'), '', 'nothing ran on the unreachable host')
  } finally {
    await linkUp(victim)
  }
  await rerunRetry(t, dir, victim, 'down-before')
})

test.serial('a host whose sshd is killed mid-task (with its sessions): unreachable, the others finish, exit 4', async (t) => {
  const victim = lab.hosts[1]!.name
  const dir = slowProject({ stamp: 'sshd-killed', sleep_on: victim, seconds: 41 })
  const untouched = await mark(victim, 'after')
  const running = startLabplay(lab, [join(dir, 'site.yml'), '-T', '2'], { cwd: dir })
  try {
    await waitFor(`${victim} is in its slow step`, async () => (await lab.exec(victim, 'pgrep -fx "sleep 41"')).code === 0)
    await lab.stopSsh(victim)
    const ran = await running.done
    await victimAloneUnreachable(t, dir, victim, 'sshd-killed', ran, new RegExp(`unreachable: \\[${victim}\\]`))
    t.true(ran.ms < 30_000, `a dropped connection is noticed at once: took ${Math.round(ran.ms)} ms`)
    t.is(await mark(victim, 'before'), `${victim} sshd-killed\n`)
    t.is(await mark(victim, 'after'), untouched, 'the victim did not go past the broken step')
  } finally {
    await running.done
    await lab.exec(victim, 'pkill -fx "sleep 41"; true')
    await lab.startSsh(victim)
  }
  await rerunRetry(t, dir, victim, 'sshd-killed', ['-e', 'seconds=1'])
})

test.serial('a link cut mid-task: keepalives notice within ~20 s, unreachable, the others finish, exit 4', async (t) => {
  const victim = lab.hosts[2]!.name
  const dir = slowProject({ stamp: 'link-cut', sleep_on: victim, seconds: 43 })
  const untouched = await mark(victim, 'after')
  const running = startLabplay(lab, [join(dir, 'site.yml'), '-T', '2'], { cwd: dir })
  let cutAt = 0
  try {
    await waitFor(`${victim} is in its slow step`, async () => (await lab.exec(victim, 'pgrep -fx "sleep 43"')).code === 0)
    await lab.exec(victim, 'ip link set eth0 down')
    cutAt = performance.now()
    const ran = await running.done
    const noticed = performance.now() - cutAt
    t.log(`link cut noticed after ${(noticed / 1000).toFixed(1)} s (ssh2 keepalive 5 s × 3)`)
    t.is(ran.code, 4, shown(ran))
    t.like(ran.recap.get(victim), { unreachable: 1, failed: 0 })
    t.true(noticed < 30_000, `a dead link is noticed within 30 s: took ${Math.round(noticed)} ms`)
    await othersFinished(t, victim, 'link-cut', ran)
    t.is(await mark(victim, 'after'), untouched, 'the victim did not go past the broken step')
    t.deepEqual(retryHosts(dir), [victim])
  } finally {
    await running.done
    await lab.exec(victim, 'pkill -fx "sleep 43"; true')
    await linkUp(victim)
  }
  await rerunRetry(t, dir, victim, 'link-cut', ['-e', 'seconds=1'])
})

// This kernel has no sch_netem (CONFIG_NET_SCH_NETEM is not set), so the bad link is built from what it has:
// 5 % of the host's outgoing packets go to a dead veth (a classic-BPF `ld rand` filter + mirred), and ssh
// reaches the host through a proxy on the host that holds every reply for 300 ms.
const LOSS_5_PERCENT = '5,32 0 0 4294963256,148 0 0 20,21 0 1 0,6 0 0 4294967295,6 0 0 0'
// Plain JavaScript, copied into the lab's folder: a host cannot see a checkout under /tmp (its own tmpfs).
const PROXY = join(ROOT, 'test/fixtures/faults/delay-proxy.mjs')

test.serial('a link with 300 ms latency and 5 % loss: the run still succeeds there, just slower, in bounded time', async (t) => {
  const host = lab.hosts[3]!
  const victim = host.name
  const dir = slowProject({ stamp: 'slow-link', sleep_on: victim, seconds: 1 })
  const inventory = join(dir, 'slow-link.ini')
  writeFileSync(inventory, readFileSync(lab.inventory, 'utf8').split('\n').map((line) =>
    line.startsWith(`${victim} `) ? `${line} ansible_port=2222` : line).join('\n'))
  const proxy = join(lab.dir, 'delay-proxy.mjs')
  copyFileSync(PROXY, proxy)
  const setup = await lab.exec(victim, `setsid ${process.execPath} ${proxy} ${host.address} 2222 ${host.address} 22 300 >/tmp/delay-proxy.log 2>&1 </dev/null &\n` + [
    'ip link add bh type veth peer name bh2',
    'tc qdisc add dev eth0 clsact',
    `tc filter add dev eth0 egress bpf bytecode '${LOSS_5_PERCENT}' action mirred egress redirect dev bh`,
  ].join(' && '))
  t.is(setup.code, 0, setup.stderr)
  try {
    await waitFor('the delay proxy listens', async () => (await lab.exec(victim, 'cat /tmp/delay-proxy.log')).stdout.includes('listening'))
    const ran = await labplayRun(lab, [join(dir, 'site.yml'), '-T', '30'], { cwd: dir, inventory, timeoutMs: 150_000 })
    // A short run sends few packets; 400 more datagrams to the lab's controller make "none lost" a 1e-9 event.
    await lab.exec(victim, `for i in $(seq 400); do echo x > /dev/udp/${lab.controllerAddress}/9; done 2>/dev/null; true`)
    const dropped = (await lab.exec(victim, 'tc -s filter show dev eth0 egress')).stdout.match(/Sent \d+ bytes (\d+) pkt/)?.[1]
    t.log(`run over the bad link took ${(ran.ms / 1000).toFixed(1)} s; ${dropped ?? '?'} packets dropped`)
    t.is(ran.code, 0, shown(ran))
    t.like(ran.recap.get(victim), { unreachable: 0, failed: 0 })
    t.true(ran.recap.get(victim)!.changed >= 2)
    t.is(await mark(victim, 'after'), `${victim} slow-link\n`)
    await othersFinished(t, victim, 'slow-link', ran)
    t.true(Number(dropped) > 0, 'packets really were lost')
    t.true(ran.ms > 3_000, 'the delay really applied')
    t.true(ran.ms < 120_000, `bounded: ${Math.round(ran.ms)} ms`)
    t.deepEqual(retryHosts(dir), [])
  } finally {
    await lab.exec(victim, 'tc qdisc del dev eth0 clsact; ip link del bh; pkill -f delay-proxy; true')
  }
})

test.serial('a host that accepts TCP but never answers SSH: unreachable after -T (default 10 s), the others finish', async (t) => {
  const victim = lab.hosts[4]!.name
  const dir = slowProject({ stamp: 'silent' })
  // A frozen sshd: the kernel still completes the TCP handshake on its socket, nothing ever answers.
  await lab.exec(victim, 'pkill -STOP -x sshd')
  try {
    const ran = await labplayRun(lab, [join(dir, 'site.yml'), '-T', '2'], { cwd: dir })
    await victimAloneUnreachable(t, dir, victim, 'silent', ran, new RegExp(`${victim}.*connect timeout after 2s`))
    t.true(ran.ms >= 2_000 && ran.ms < 15_000, `unreachable after -T 2: ${Math.round(ran.ms)} ms`)
    // The documented default: 10 s when -T is not given.
    const help = await labplayRun(lab, ['--help'], { cwd: dir })
    t.regex(help.stdout, /-T, --timeout SECONDS\s+ssh connect timeout \(default 10\)/)
    const byDefault = await labplayRun(lab, [join(dir, 'site.yml'), '-l', victim], { cwd: dir })
    t.is(byDefault.code, 4, shown(byDefault))
    t.regex(byDefault.stdout + byDefault.stderr, /connect timeout after 10s/)
    t.true(byDefault.ms >= 10_000 && byDefault.ms < 25_000, `default connect timeout: ${Math.round(byDefault.ms)} ms`)
  } finally {
    await lab.exec(victim, 'pkill -CONT -x sshd; true')
  }
  await rerunRetry(t, dir, victim, 'silent')
})

test.serial('a wrong key (authentication failure) refuses that host, clearly, and the others go on', async (t) => {
  const victim = lab.hosts[0]!.name
  const dir = slowProject({ stamp: 'wrong-key' })
  const stranger = join(dir, 'stranger_ed25519')
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'stranger', '-f', stranger])
  const inventory = join(dir, 'wrong-key.ini')
  writeFileSync(inventory, readFileSync(lab.inventory, 'utf8').split('\n').map((line) =>
    line.startsWith(`${victim} `) ? line.replace(/ansible_ssh_private_key_file=\S+/, `ansible_ssh_private_key_file=${stranger}`) : line).join('\n'))
  const untouched = await mark(victim, 'after')
  const ran = await labplayRun(lab, [join(dir, 'site.yml'), '-T', '5'], { cwd: dir, inventory })
  await victimAloneUnreachable(t, dir, victim, 'wrong-key', ran, new RegExp(`${victim}.*authentication failed for root@`))
  t.is(await mark(victim, 'after'), untouched, 'nothing ran on the refused host')
  await rerunRetry(t, dir, victim, 'wrong-key')
})

test.serial('a changed host key refuses that host by default, even on -l @retry, until the admin removes the old key', async (t) => {
  const victim = lab.hosts[1]!.name
  const dir = slowProject({ stamp: 'host-key' })
  await lab.regenerateHostKey(victim)
  const untouched = await mark(victim, 'after')
  const ran = await labplayRun(lab, [join(dir, 'site.yml'), '-T', '5'], { cwd: dir })
  await victimAloneUnreachable(t, dir, victim, 'host-key', ran, /REMOTE HOST IDENTIFICATION HAS CHANGED.*known_hosts:\d+/)
  t.is(await mark(victim, 'after'), untouched, 'nothing ran on the refused host')
  const again = await labplayRun(lab, [join(dir, 'site.yml'), '-T', '5', '-l', `@${join(dir, 'site.retry')}`], { cwd: dir })
  t.is(again.code, 4, 'still refused: a retry never trusts a changed key')
  t.deepEqual(retryHosts(dir), [victim])
  const address = lab.hosts[1]!.address
  execFileSync('ssh-keygen', ['-R', address, '-f', lab.knownHosts], { stdio: 'ignore' })
  await rerunRetry(t, dir, victim, 'host-key')
})
