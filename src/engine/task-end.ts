import { InputError } from '../errors.ts'
import type { TaskRecord } from '../sdk/host.ts'
import { taskEnding } from '../sdk/outcome.ts'
import type { HostStatus, TaskResult } from './events.ts'
import type { Redactor } from './redact.ts'

// Ctrl-C reached this step: not a task status; the host stops where it is and counts as unfinished.
export class Interrupted extends Error {}

// A task's body threw: its status and message (src/sdk/outcome.ts; the stack at -vvv when the error is a
// bug's). Throws Interrupted instead when the run was interrupted, so the host stops where it is.
export function endOf(err: unknown, run: { signal: AbortSignal; verbosity: number }): [HostStatus, string] {
  if (err instanceof Interrupted) throw err
  const { status, expected } = taskEnding(err)
  if (status === 'failed' && run.signal.aborted) throw new Interrupted()
  // A variable that cannot be rendered says where it was written (file:line), as before any host.
  if (err instanceof InputError) return [status, err.format()]
  const e = err instanceof Error ? err : new Error(String(err))
  return [status, expected || run.verbosity < 3 ? e.message : (e.stack ?? e.message)]
}

// A task's body returned: changed or ok, with what it said.
export function finished(record: TaskRecord): [HostStatus, string | undefined] {
  return [record.changed ? 'changed' : 'ok', record.messages.join('; ') || undefined]
}

// What the output, the recap and the record get of one task on one host; its diffs pass the redactor.
export function taskResult(record: TaskRecord, status: HostStatus, message: string | undefined, started: number, redactor: Redactor): TaskResult {
  const { diffs, warnings } = record
  return {
    status,
    changed: status === 'changed',
    durationMs: Math.round(performance.now() - started),
    ...(message ? { message } : {}),
    ...(diffs.length ? { diff: diffs.map((d) => redactor.diff(d, record.readSecret)) } : {}),
    ...(warnings.length ? { warnings } : {}),
  }
}
