import type { Connection } from '../connection/types.ts'
import type { Facts } from '../sdk/facts.types.ts'
import type { HostSummary, HostStatus, TaskResult } from './events.ts'

// One host across the whole run: its one connection, its facts, its tallies.
export interface HostState {
  name: string
  summary: HostSummary
  conn?: Promise<Connection>
  facts?: Facts
  // Failed or unreachable: later plays leave it out, as Ansible does.
  dead: boolean
  // Still had work when the run was interrupted.
  unfinished: boolean
}

export function newHostState(name: string): HostState {
  return {
    name,
    summary: { host: name, ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, tasks: [], warnings: [] },
    dead: false,
    unfinished: false,
  }
}

const COUNTERS: Record<HostStatus, Array<'ok' | 'changed' | 'unreachable' | 'failed' | 'skipped'>> = {
  ok: ['ok'],
  changed: ['ok', 'changed'],
  failed: ['failed'],
  skipped: ['skipped'],
  unreachable: ['unreachable'],
}

// Adds one task's result to the host's recap counters (ok counts changed tasks too, like Ansible).
export function tally(state: HostState, play: string, role: string, task: string, result: TaskResult): void {
  for (const key of COUNTERS[result.status]) state.summary[key]++
  state.summary.tasks.push({ play, role, task, ...result })
  if (result.warnings) state.summary.warnings.push(...result.warnings)
  if (result.status === 'failed' || result.status === 'unreachable') state.dead = true
}

// Exit codes, as documented: 99 interrupted, 2 a host failed, 4 a host unreachable, 0 all ok.
export function exitCode(hosts: HostSummary[], interrupted: boolean): number {
  if (interrupted) return 99
  if (hosts.some((h) => h.failed > 0)) return 2
  if (hosts.some((h) => h.unreachable > 0)) return 4
  return 0
}
