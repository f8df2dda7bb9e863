import { createReadStream } from 'node:fs'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { setTimeout as delay } from 'node:timers/promises'
import type { Host, Play } from 'labplay'
import { copyCommand, discardCommand, installCommand, killCommand, localCopyCommand, parseJob, receiverCommand, resolveCommand, routeCommand, senderCommand, sizeCommand } from './commands.ts'
import { interfaceFor, isIPv4, parseGetent, parseRoute } from './network.ts'
import { freshPortbase } from './ports.ts'
import { formatBytes, formatRate, hostList, SenderWatch } from './progress.ts'
import { roundTimeoutMs, type Settings } from './settings.ts'

type Exec = (command: string, opts: { timeoutMs?: number; onStdout?: (c: string) => void; onStderr?: (c: string) => void }) =>
  Promise<{ code: number; stdout: string; stderr: string }>

// Who sends: the controller, or a host of the play; `address`/`iface` face the receivers.
interface Sender {
  label: string
  host?: Host
  exec: Exec
  address: string
  iface: string
}

// How a receiver or sender ended: udpcast's exit code, or why there is none.
interface JobEnd {
  rc?: number
  problem?: string
  stderr: string
}

interface Job {
  pid: Promise<number | undefined>
  done: Promise<JobEnd>
  over: boolean
  // The role stopped it (the other side was gone), so its exit code is no news.
  stopped: boolean
}

// Receivers may still be writing the last slice when the sender is done (exit-wait is 0.5 s), and
// a sender still says goodbye to each receiver after the last one has its bytes.
const grace = () => delay(5000, undefined, { ref: false })

// The play-scoped step: hosts that share one sender and one image form one stream.
export async function deliver(play: Play, targets: Array<{ host: Host; settings: Settings }>): Promise<void> {
  const groups = new Map<string, typeof targets>()
  for (const t of targets) {
    const s = t.settings
    const key = JSON.stringify([s.manifest, s.senderHost, s.portbase, s.portPairs, s.maxBitrate, s.startTimeoutS, s.receiveTimeoutS, s.maxWaitS, s.retriesUntilDrop, s.unicastSingle])
    groups.set(key, [...(groups.get(key) ?? []), t])
  }
  for (const group of groups.values()) await deliverGroup(play, group[0]!.settings, new Map(group.map((t) => [t.host, t.settings])))
}

async function deliverGroup(play: Play, s: Settings, targets: Map<Host, Settings>): Promise<void> {
  const hosts = [...targets.keys()].sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }))
  const failAll = (why: string) => hosts.forEach((h) => play.failHost(h, why))
  const sender = await findSender(play, s, hosts)
  if (typeof sender === 'string') return failAll(sender)
  const size = formatBytes(s.manifest.size)
  if (play.check) {
    for (const h of hosts) h.changed(`would receive ${size} by ${method(s, sender, [h], hosts.length)} from ${sender.label}`)
    play.progress(`would send ${size} from ${sender.label} to ${hostList(hosts.map((h) => h.name))}`)
    return
  }
  let pending = hosts
  let portbase: number | undefined
  for (const round of [1, 2]) {
    portbase = freshPortbase(s, portbase)
    const failed = await transferRound(play, s, sender, pending.map((h) => [h, targets.get(h)!] as const), round, portbase)
    if (failed.size === 0) return
    pending = [...failed.keys()]
    if (round === 2) for (const [h, why] of failed) play.failHost(h, `${why} (after 2 rounds)`)
    else {
      for (const [h, why] of failed) h.warn(`round 1 failed, retrying: ${why}`)
      play.progress(`round 2 for ${hostList(pending.map((h) => h.name))}`)
    }
  }
}

function method(s: Settings, sender: Sender, hosts: Host[], count: number): string {
  if (sender.host && hosts[0] === sender.host) return 'local copy'
  return count === 1 && s.unicastSingle && !sender.host ? 'copy over ssh' : 'multicast'
}

// The sender's address toward the targets (from its route to the first of them), and that its source is the image.
async function findSender(play: Play, s: Settings, targets: Host[]): Promise<Sender | string> {
  let label = 'the controller'
  let host: Host | undefined
  let exec: Exec = (command, opts) => play.localExec(command, { ...opts, mutating: false })
  if (s.senderHost) {
    host = play.hosts.find((h) => h.name === s.senderHost)
    if (!host) return `udpcast_sender_host '${s.senderHost}' is not a host of this play that is still healthy (hosts: ${hostList(play.hosts.map((h) => h.name))})`
    const sendingHost = host
    label = host.name
    // Sending changes nothing on the sender: its commands are not changes of that host.
    exec = (command, opts) => sendingHost.exec(command, { ...opts, mutating: false })
  }
  const stat = await exec(sizeCommand(s.manifest.source), { timeoutMs: 30_000 })
  const bytes = stat.stdout.trim()
  if (stat.code !== 0 || !/^\d+$/.test(bytes)) return `image.source ${s.manifest.source} does not exist on ${label}`
  if (Number(bytes) !== s.manifest.size) return `image.source ${s.manifest.source} has ${bytes} bytes on ${label}, the manifest says ${s.manifest.size}`
  const remote = targets.find((h) => h !== host)
  if (!remote) return { label, host, exec, address: '', iface: '' }
  const address = await addressOf(remote, exec)
  if (!address) return `cannot find the address of ${remote.name} (ansible_host or a name ${label} resolves)`
  const route = parseRoute((await exec(routeCommand(address), { timeoutMs: 30_000 })).stdout)
  if (!route.dev || !route.src) return `${label} has no route to ${remote.name} (${address})`
  return { label, host, exec, address: route.src, iface: route.dev }
}

// ansible_host (inventory variables reach role variables through precedence), else the name as the sender resolves it.
async function addressOf(h: Host, exec: Exec): Promise<string | undefined> {
  const vars = h.vars as Record<string, unknown>
  const name = typeof vars.ansible_host === 'string' && vars.ansible_host ? vars.ansible_host : h.name
  if (isIPv4(name)) return name
  return parseGetent((await exec(resolveCommand(name), { timeoutMs: 30_000 })).stdout)
}

// The receiver's interface: the one whose subnet holds the sender, else its route toward it.
async function receiverInterface(h: Host, senderAddress: string): Promise<string | undefined> {
  let iface: string | undefined
  try {
    iface = interfaceFor(h.facts.interfaces, senderAddress)
  } catch {
    iface = undefined
  }
  return iface ?? parseRoute((await h.exec(routeCommand(senderAddress), { mutating: false, timeoutMs: 30_000 })).stdout).dev
}

// One round: every pending host ends renamed into place or with the reason it did not.
async function transferRound(play: Play, s: Settings, sender: Sender, targets: ReadonlyArray<readonly [Host, Settings]>, round: number, portbase: number): Promise<Map<Host, string>> {
  const failed = new Map<Host, string>()
  const remote = targets.filter(([h]) => h !== sender.host)
  const own = targets.find(([h]) => h === sender.host)
  const how = method(s, sender, remote.map(([h]) => h), remote.length)
  const suffix = round > 1 ? ` (round ${round})` : ''
  const jobs: Array<Promise<void>> = []
  if (own) jobs.push(localCopy(own[0], own[1]).then((why) => void (why && failed.set(own[0], why))))
  if (remote.length === 1 && how === 'copy over ssh') {
    const [h, hs] = remote[0]!
    jobs.push(copy(play, s, h, hs, suffix).then((why) => void (why && failed.set(h, why))))
  } else if (remote.length > 0) {
    jobs.push(multicast(play, s, sender, remote, suffix, portbase).then((out) => out.forEach((why, h) => failed.set(h, why))))
  }
  await Promise.all(jobs)
  return failed
}

async function localCopy(h: Host, hs: Settings): Promise<string | undefined> {
  const problem = await h.exec(localCopyCommand(hs), { mutating: true, timeoutMs: roundTimeoutMs(hs) }).then(() => undefined, (e: Error) => e.message)
  return settle(h, hs, 'by local copy', problem)
}

// A single target: the source streamed through the host's own SSH connection, capped at the same bitrate.
async function copy(play: Play, s: Settings, h: Host, hs: Settings, suffix: string): Promise<string | undefined> {
  let sent = 0
  const started = Date.now()
  const cap = throttle(s.bitsPerSecond, (n) => (sent = n))
  const source = createReadStream(s.manifest.source)
  const feeding = pipeline(source, cap).catch(() => undefined)
  const timer = setInterval(() => play.progress(`copy to ${h.name}${suffix}: ${formatBytes(sent)} of ${formatBytes(s.manifest.size)}, ${formatRate((sent * 8 * 1000) / Math.max(1, Date.now() - started))}`), 1000)
  let problem: string | undefined
  try {
    await h.exec(copyCommand(hs), { mutating: true, stdin: cap, timeoutMs: roundTimeoutMs(s) })
  } catch (err) {
    problem = (err as Error).message
  } finally {
    clearInterval(timer)
    source.destroy()
    cap.destroy()
    await feeding
  }
  return settle(h, hs, `by copy over ssh${suffix}`, problem)
}

// Passes bytes on no faster than `bitsPerSecond`, reporting the running total.
export function throttle(bitsPerSecond: number, onBytes: (total: number) => void): Transform {
  const started = Date.now()
  let total = 0
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      total += chunk.length
      onBytes(total)
      const wait = started + (total * 8 * 1000) / bitsPerSecond - Date.now()
      if (wait > 0) setTimeout(() => done(null, chunk), wait)
      else done(null, chunk)
    },
  })
}

// Receivers on every target, then one sender for all of them; each host then verifies its own bytes.
async function multicast(play: Play, s: Settings, sender: Sender, targets: ReadonlyArray<readonly [Host, Settings]>, suffix: string, portbase: number): Promise<Map<Host, string>> {
  const failed = new Map<Host, string>()
  const limitMs = roundTimeoutMs(s)
  const names = hostList(targets.map(([h]) => h.name))
  const ready: Array<[Host, Settings, string]> = []
  await Promise.all(targets.map(async ([h, hs]) => {
    const iface = await receiverInterface(h, sender.address)
    if (iface) ready.push([h, hs, iface])
    else failed.set(h, `no interface toward the sender ${sender.address}`)
  }))
  if (ready.length === 0) return failed
  const receivers = new Map(ready.map(([h, hs, iface]) => [h, start((onStdout) => h.exec(receiverCommand(hs, iface, { portbase, sender: sender.address }), { mutating: true, timeoutMs: limitMs, onStdout }))]))
  await Promise.all([...receivers.values()].map((r) => r.pid))
  const watch = new SenderWatch(s.manifest.size, ready.length)
  const feed = (chunk: string) => watch.feed(chunk, Date.now())
  const sending = start((onStdout) => sender.exec(senderCommand(s, sender.iface, ready.length, portbase), { timeoutMs: limitMs, onStdout, onStderr: feed }))
  const timer = setInterval(() => play.progress(`multicast${suffix} from ${sender.label} to ${names} on ports ${portbase}-${portbase + 1}: ${watch.text(Date.now())}`), 1000)
  // Nobody left to send to: the sender would otherwise wait for its start timeout.
  const allDone = Promise.all([...receivers.values()].map((r) => r.done))
  void allDone.then(() => Promise.race([sending.done, grace()])).then(() => stop(sending, sender.exec))
  const sent = await sending.done
  clearInterval(timer)
  await Promise.race([allDone, grace()])
  await Promise.all(ready.map(([h]) => stop(receivers.get(h)!, (command, opts) => h.exec(command, { ...opts, mutating: true }))))
  const senderNote = sent.rc === 0 ? '' : sending.stopped ? '; sender stopped: every receiver had ended' : `; sender ${describe(sent)}`
  await Promise.all(ready.map(async ([h, hs]) => {
    const end = await receivers.get(h)!.done
    const address = await addressOf(h, sender.exec).catch(() => undefined)
    const dropped = address && watch.dropped.has(address) ? '; the sender dropped it (no answer)' : ''
    const ended = receivers.get(h)!.stopped ? 'still waiting when the sender had finished' : describe(end)
    const problem = end.rc === 0 ? undefined : `receiver ${ended}${dropped}${senderNote}`
    const why = await settle(h, hs, `by multicast${suffix}`, problem)
    if (why) failed.set(h, why)
  }))
  return failed
}

function start(run: (onStdout: (chunk: string) => void) => Promise<{ code: number; stdout: string; stderr: string }>): Job {
  let out = ''
  let seen: (pid: number | undefined) => void = () => undefined
  const pid = new Promise<number | undefined>((resolve) => (seen = resolve))
  const job: Job = { pid, done: Promise.resolve({ stderr: '' }), over: false, stopped: false }
  job.done = run((chunk) => {
    out += chunk
    const found = parseJob(out).pid
    if (found) seen(found)
  }).then(
    (r) => {
      const { rc } = parseJob(r.stdout)
      return rc === undefined ? { problem: r.code === 124 ? 'timed out' : `ended without an exit code (exit ${r.code})`, stderr: r.stderr } : { rc, stderr: r.stderr }
    },
    (err: Error) => ({ problem: err.message, stderr: '' }),
  ).then((end) => {
    job.over = true
    seen(undefined)
    return end
  })
  return job
}

async function stop(job: Job, exec: Exec): Promise<void> {
  const pid = await job.pid
  if (job.over || pid === undefined) return
  job.stopped = true
  await exec(killCommand(pid), { timeoutMs: 30_000 }).catch(() => undefined)
}

function describe(end: JobEnd): string {
  if (end.problem) return end.problem
  if (end.rc !== undefined && end.rc > 128) return `killed by signal ${end.rc - 128}`
  const last = end.stderr.split(/[\r\n]/).map((l) => l.trim()).filter(Boolean).pop()
  return `exit ${end.rc}${last ? `: ${last.slice(0, 120)}` : ''}`
}

// The sender's exit code proves nothing: the host's own sha256 of the .part decides.
async function settle(h: Host, hs: Settings, how: string, problem: string | undefined): Promise<string | undefined> {
  const { size, sha256 } = hs.manifest
  try {
    const sum = await h.sha256(hs.part)
    if (sum && sum.size === size && sum.sha256 === sha256) {
      await h.exec(installCommand(hs), { mutating: true })
      h.changed(`received ${formatBytes(size)} ${how}`)
      return undefined
    }
    await h.exec(discardCommand(hs), { mutating: true })
    const what = !sum ? 'no copy arrived' : sum.size !== size ? `incomplete copy (${formatBytes(sum.size)} of ${formatBytes(size)})` : `sha256 mismatch (${sum.sha256.slice(0, 12)}… instead of ${sha256.slice(0, 12)}…)`
    return problem ? `${what}: ${problem}` : what
  } catch (err) {
    return `cannot verify ${hs.part}: ${(err as Error).message}`
  }
}
