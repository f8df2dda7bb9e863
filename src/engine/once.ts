import type { Connection } from '../connection/types.ts'
import type { Facts } from '../sdk/facts.types.ts'
import { tagged, type Host, type HostContext, type Play, type TaskRecord } from '../sdk/host.ts'
import type { HostStatus, RunEvent, TaskResult } from './events.ts'
import type { PlannedTask } from './plan.ts'
import type { Redactor } from './redact.ts'
import { endOf, finished, taskResult } from './task-end.ts'

// One host at a play-scoped step's barrier.
export interface Arrival {
  ctx: HostContext
  // The host's facts (the step may read h.facts on every host).
  facts: Facts | undefined
  // Why this host sits the step out (a false or failing role condition, --stale), if it does.
  gate: () => string | undefined
  // Set by runOnce: the host's result of the step.
  result?: TaskResult
}

// What host tasks handed to their role's play-scoped steps (h.share → play.shared), for one batch of a play:
// by host name and role, so it never depends on which context object the engine keeps.
export class PlayShared {
  private readonly values = new Map<string, unknown>()

  set(host: string, role: string, key: string, value: unknown): void {
    this.values.set(`${host}\0${role}\0${key}`, value)
  }

  get(host: string, role: string, key: string): unknown {
    return this.values.get(`${host}\0${role}\0${key}`)
  }
}

// What a play-scoped step needs of the run.
export interface OnceRun {
  check: boolean
  timeoutMs: number
  maxOutputBytes?: number
  signal: AbortSignal
  verbosity: number
  // The controller (the multicast sender runs here).
  local: Connection
  redactor: Redactor
  emit: (e: RunEvent) => void
}

// A task with `once`: all hosts of the batch have arrived (or left); it runs a single time for the healthy
// ones and decides for each (play.failHost). A throw fails every participant; gated hosts are skipped.
export async function runOnce(task: PlannedTask, play: string, arrivals: Arrival[], shared: PlayShared, run: OnceRun): Promise<void> {
  const started = performance.now()
  const gates = new Map(arrivals.map((a) => [a, safeGate(a.gate)]))
  const participants = arrivals.filter((a) => gates.get(a) === undefined)
  const timeoutMs = task.timeoutMs ?? run.timeoutMs
  const records = new Map<Arrival, TaskRecord>()
  for (const a of arrivals) {
    records.set(a, a.ctx.beginTask({ timeoutMs, facts: a.facts }))
    run.emit({ type: 'task-start', host: a.ctx.name, task: task.ref })
  }
  const failures = new Map<Host, string>()
  const local = (command: string, mutating: boolean, call: Parameters<Play['localExec']>[1]) => {
    if (mutating && run.check) return Promise.resolve({ code: 0, stdout: '', stderr: '' })
    return run.local.exec(command, {
      ...call,
      timeoutMs: call.timeoutMs ?? timeoutMs,
      maxOutputBytes: call.maxOutputBytes ?? run.maxOutputBytes,
      signal: run.signal,
    })
  }
  const ctxPlay: Play = {
    name: play,
    hosts: participants.map((a) => a.ctx),
    check: run.check,
    local: tagged((command, limits) => local(command, true, { ...limits, mutating: true })),
    localExec: (command, call) => local(command, call.mutating, call),
    failHost: (h, message) => failures.set(h, message),
    shared: <T>(h: Host, key: string) => shared.get(h.name, task.ref.role, key) as T | undefined,
    progress: (text) => run.emit({ type: 'progress', task: task.ref, text }),
  }
  let failedAll: [HostStatus, string] | undefined
  if (participants.length > 0) {
    try {
      if (!run.signal.aborted) await task.once!(ctxPlay)
    } catch (err) {
      try {
        failedAll = endOf(err, run)
      } catch {
        failedAll = ['failed', 'interrupted']
      }
    }
  }
  for (const a of arrivals) {
    const record = records.get(a)!
    const failure = failures.get(a.ctx)
    const [status, message]: [HostStatus, string | undefined] = gates.get(a) ?? failedAll ?? (failure ? ['failed', failure] : finished(record))
    a.result = taskResult(record, status, message, started, run.redactor)
  }
}

// A gate that throws (a `when` on an undefined variable) fails the host's step.
function safeGate(gate: () => string | undefined): [HostStatus, string] | undefined {
  try {
    const reason = gate()
    return reason ? ['skipped', reason] : undefined
  } catch (err) {
    return ['failed', err instanceof Error ? err.message : String(err)]
  }
}
