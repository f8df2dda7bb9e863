import { OutputLimitError } from '../connection/output-limit.ts'
import { UnreachableError } from '../connection/types.ts'
import { InputError } from '../errors.ts'

// The errors a task ends with on purpose, and the status each gives the task (the engine counts it in
// the PLAY RECAP). Any other error fails the task too, as a bug: its stack is shown at -vvv.

// The status an error ends its task with.
export type TaskEnding = 'failed' | 'skipped' | 'unreachable'

// Known by a brand, not by class identity: a role loaded as a bundle (src/engine/role-bundle.ts) carries
// its own copy of the SDK, so its TaskFailed is not the engine's class.
const ENDING = Symbol.for('labplay.task-ending')

// h.fail(message), and the SDK's own refusals (facts not gathered, a bad h.state key…): failed.
export class TaskFailed extends Error {
  readonly [ENDING]: TaskEnding = 'failed'
}

// h.skip(message): skipped, with the message as the reason.
export class TaskSkipped extends Error {
  readonly [ENDING]: TaskEnding = 'skipped'
}

// A primitive or command that cannot do its job (a non-zero exit of h.run, a bad path): failed.
export class StepError extends TaskFailed {
  constructor(message: string) {
    super(message)
    this.name = 'StepError'
  }
}

// Errors of other layers that end a task, with their status: the connection's (the host went away; a
// command's output past --max-output) and bad input met while running (a `when` that cannot be decided).
const ENDINGS: ReadonlyArray<readonly [new (...args: never[]) => Error, TaskEnding]> = [
  [UnreachableError, 'unreachable'],
  [OutputLimitError, 'failed'],
  [InputError, 'failed'],
]

// How `err` ends its task: the status, and whether the message says it all (expected: no stack trace).
export function taskEnding(err: unknown): { status: TaskEnding; expected: boolean } {
  const branded = (err as { [ENDING]?: unknown } | null)?.[ENDING]
  if (branded === 'failed' || branded === 'skipped' || branded === 'unreachable') return { status: branded, expected: true }
  const known = ENDINGS.find(([type]) => err instanceof type)
  return known ? { status: known[1], expected: true } : { status: 'failed', expected: false }
}
