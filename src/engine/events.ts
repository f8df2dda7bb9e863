// What the engine tells the output layer; the output never reaches back into the engine.
import type { Facts } from '../sdk/facts.types.ts'

export type HostStatus = 'ok' | 'changed' | 'failed' | 'skipped' | 'unreachable'

export interface TaskRef {
  // Index of the task in the play's flattened task list; stable key for aggregation.
  index: number
  role: string
  name: string
  // Play-scoped: runs once for all healthy hosts after a barrier.
  once: boolean
  // A handler: runs at the end of the play only on hosts that notified it, so not every host reports it.
  handler: boolean
}

export type RunEvent =
  | { type: 'play-start'; play: string; hosts: string[]; tasks: TaskRef[]; batch?: { index: number; count: number } }
  | { type: 'host-start'; host: string }
  | { type: 'host-unreachable'; host: string; message: string }
  | { type: 'task-start'; host: string; task: TaskRef }
  | { type: 'task-end'; host: string; task: TaskRef; result: TaskResult }
  // Live progress of a long step (a multicast transfer): free text, replaces the previous one.
  | { type: 'progress'; task: TaskRef; text: string }
  | { type: 'warn'; host: string; message: string }
  | { type: 'play-end'; play: string }
  // A host's facts, once per run, as soon as they are read: the run record keeps them (kernel, MACs).
  | { type: 'facts'; host: string; facts: Facts }
  // h.state(key, value): a fact about this host worth remembering after the run (image → version).
  | { type: 'host-state'; host: string; key: string; value: string }
  // Once per host and role, before its first task: what the role's outcome depends on (code, variables with
  // secrets hashed, the role's own inputs); the run record keeps it as the inputs of a success (--stale).
  | { type: 'role-inputs'; host: string; role: string; inputs: Record<string, unknown> }
  // --stale: whether the role runs on this host, and why (what changed, or since when nothing did).
  | { type: 'role-selected'; host: string; role: string; run: boolean; reason: string }

export interface TaskResult {
  status: HostStatus
  changed: boolean
  durationMs: number
  message?: string
  diff?: string[]
  warnings?: string[]
}

export interface HostSummary {
  host: string
  ok: number
  changed: number
  unreachable: number
  failed: number
  skipped: number
  // Per task in run order, for --json.
  tasks: Array<{ play: string; role: string; task: string } & TaskResult>
  warnings: string[]
  // Cut off by an interrupt while it still had work (the run record tells it from a finished host).
  interrupted?: boolean
  // --stale: each role's selection on this host, in play order (for --json).
  selection?: Array<{ role: string; run: boolean; reason: string }>
}

export interface RunSummary {
  playbook: string
  startedAt: string
  durationMs: number
  check: boolean
  interrupted: boolean
  hosts: HostSummary[]
  exitCode: number
}

export interface Reporter {
  event(e: RunEvent): void
  // Stop the live view and print the recap; resolves when everything is written.
  finish(summary: RunSummary): Promise<void>
}
