import pLimit from 'p-limit'
import { InputError } from '../errors.ts'
import type { Play as PlaySpec } from '../playbook/index.ts'
import { Later } from '../playbook/index.ts'
import { PlayScopes } from '../engine/scope.ts'
import { openRecords } from '../records/store.ts'
import { preparePlay, type PrepareOptions } from '../engine/prepare.ts'
import { magicPacket, sendPackets, wolDestination, type WolDestination } from './packet.ts'
import { PROBE_TIMEOUT_MS, probeTcp } from './probe.ts'

export { magicPacket, parseMac, sendPackets, wolDestination } from './packet.ts'
export { probeTcp } from './probe.ts'

// How often the SSH ports of waking machines are tried again.
export const POLL_MS = 1000
// SSH probes in flight at once (a room is tens of hosts, a building a few hundred).
const PROBES_AT_ONCE = 64

// One host --wake may have to wake: where the engine will connect, and where its packets go.
export interface WakeHost {
  name: string
  address: string
  port: number
  to: WolDestination
}

export interface WakeOptions {
  // recordsPath() (the options refuse --wake with --no-records).
  records: string
  timeoutS: number
  // The CLI's interrupt: stops the wait at once.
  signal: AbortSignal
  // One line of output (with its newline).
  write: (line: string) => void
  // Tests: a shorter poll, another probe.
  pollMs?: number
  probe?: (host: WakeHost, timeoutMs: number, signal: AbortSignal) => Promise<boolean>
}

// What waking did, for the caller (the run goes on either way: hosts still off end unreachable).
export interface WakeOutcome {
  woken: string[]
  up: string[]
  notUp: string[]
  noMac: string[]
}

// The SSH hosts the run targets, in play order, each once, with the address and port the engine
// will connect to (same variables, same precedence) and its wol_broadcast / wol_port, validated.
// Local hosts are left out: the controller is up, or nothing runs at all.
export function wakeHosts(plays: PlaySpec[], opts: PrepareOptions): WakeHost[] {
  const out = new Map<string, WakeHost>()
  for (const spec of plays) {
    const prepared = preparePlay(spec, opts)
    const scopes = new PlayScopes(spec, opts, () => 'later')
    for (const name of prepared.hosts) {
      const target = prepared.targets.get(name)
      if (out.has(name) || target?.kind !== 'ssh') continue
      const scope = scopes.host(name)
      const vars = Object.fromEntries(['wol_broadcast', 'wol_port'].filter((v) => scope.has(v)).map((v) => [v, wolVar(name, v, () => scope.get(v))]))
      out.set(name, { name, address: target.ssh.address, port: target.ssh.port, to: wolDestination(name, vars) })
    }
  }
  return [...out.values()]
}

// A Wake-on-LAN variable is needed before the host is up: it cannot come from its facts.
function wolVar(host: string, name: string, get: () => unknown): unknown {
  try {
    return get()
  } catch (err) {
    if (err instanceof Later) throw new InputError(`host ${host}: ${name} uses '${err.variable}', a fact, but --wake runs before any host is contacted`)
    throw err
  }
}

// MACs recorded for `hosts` at their last contact (hosts.macs); a host never reached has none.
// No record file is an InputError raised before any host is touched.
export function recordedMacs(records: string, hosts: string[]): Map<string, string[]> {
  let store
  try {
    store = openRecords(records, { readonly: true })
  } catch (err) {
    if (err instanceof InputError) throw new InputError(`--wake: ${err.message} (the MACs to wake come from earlier runs)`)
    throw err
  }
  try {
    const out = new Map<string, string[]>()
    for (const [host, recorded] of store.macs(hosts)) {
      const macs = recorded.filter((m) => MAC.test(m))
      if (macs.length) out.set(host, macs)
    }
    return out
  } finally {
    store.close()
  }
}

// Before the run: hosts whose SSH port does not answer get magic packets for their recorded MACs,
// then are waited for (bounded by timeoutS) so the run finds them up. Never fails the run: a host
// that stays off is reported here and ends unreachable in the recap, like any other.
export async function wake(hosts: WakeHost[], opts: WakeOptions): Promise<WakeOutcome> {
  const macs = recordedMacs(opts.records, hosts.map((h) => h.name))
  const outcome: WakeOutcome = { woken: [], up: [], notUp: [], noMac: [] }
  const probe = opts.probe ?? ((h, timeoutMs, signal) => probeTcp(h.address, h.port, timeoutMs, signal))
  const limit = pLimit(PROBES_AT_ONCE)
  const answers = await Promise.all(hosts.map((h) => limit(() => probe(h, PROBE_TIMEOUT_MS, opts.signal))))
  if (opts.signal.aborted) return outcome
  const down = hosts.filter((_, i) => !answers[i])
  if (down.length === 0) {
    opts.write(`wake: all ${hosts.length} host${hosts.length === 1 ? '' : 's'} answer on SSH, none to wake\n`)
    return outcome
  }

  // One socket per destination: a room usually shares one broadcast address.
  const groups = new Map<string, { to: WolDestination; hosts: WakeHost[] }>()
  for (const h of down) {
    const found = macs.get(h.name)
    if (!found) {
      outcome.noMac.push(h.name)
      opts.write(`cannot wake ${h.name}: no MAC recorded (never reached)\n`)
      continue
    }
    const key = `${h.to.broadcast}:${h.to.port}`
    const group = groups.get(key) ?? { to: h.to, hosts: [] }
    group.hosts.push(h)
    groups.set(key, group)
  }
  await Promise.all([...groups.values()].map(async ({ to, hosts: group }) => {
    try {
      await sendPackets(group.flatMap((h) => macs.get(h.name)!.map(magicPacket)), to)
      for (const h of group) {
        outcome.woken.push(h.name)
        opts.write(`waking ${h.name} (${macs.get(h.name)!.join(', ')})\n`)
      }
    } catch (err) {
      const hint = (err as NodeJS.ErrnoException).code === 'ENETUNREACH' ? ' (no route to it: set wol_broadcast to the hosts\' subnet broadcast address)' : ''
      for (const h of group) opts.write(`cannot wake ${h.name}: sending to ${to.broadcast}:${to.port} failed: ${(err as Error).message}${hint}\n`)
    }
  }))

  const started = Date.now()
  const deadline = started + opts.timeoutS * 1000
  const pending = new Set(hosts.filter((h) => outcome.woken.includes(h.name)))
  while (pending.size > 0 && !opts.signal.aborted) {
    const remaining = deadline - Date.now()
    if (remaining <= 0) break
    const round = Date.now()
    const batch = [...pending]
    const up = await Promise.all(batch.map((h) => limit(() => probe(h, Math.min(PROBE_TIMEOUT_MS, remaining), opts.signal))))
    if (opts.signal.aborted) break
    batch.forEach((h, i) => {
      if (!up[i]) return
      pending.delete(h)
      outcome.up.push(h.name)
      opts.write(`${h.name} is up after ${Math.round((Date.now() - started) / 1000)} s\n`)
    })
    if (pending.size > 0) await sleep(Math.min(Math.max(0, round + (opts.pollMs ?? POLL_MS) - Date.now()), Math.max(0, deadline - Date.now())), opts.signal)
  }
  if (opts.signal.aborted) return outcome
  for (const h of pending) {
    outcome.notUp.push(h.name)
    opts.write(`${h.name} did not come up within ${opts.timeoutS} s\n`)
  }
  return outcome
}

// A MAC as the recorder keeps them; anything else in the column is ignored.
const MAC = /^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$/i

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const done = () => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
  })
}

