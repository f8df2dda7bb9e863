import test from 'ava'
import { OutputLimitError } from '../../src/connection/output-limit.ts'
import { UnreachableError } from '../../src/connection/types.ts'
import { InputError } from '../../src/errors.ts'
import { WhenError } from '../../src/playbook/when.ts'
import { StepError, taskEnding, TaskFailed, TaskSkipped } from '../../src/sdk/outcome.ts'

// Each error a task may end with, and the status it gives the task; anything else is a bug (a stack at -vvv).
for (const [title, err, status, expected] of [
  ['h.fail', new TaskFailed('no'), 'failed', true],
  ['h.skip', new TaskSkipped('not here'), 'skipped', true],
  ['a primitive', new StepError('exit 1'), 'failed', true],
  ['the host went away', new UnreachableError('reset'), 'unreachable', true],
  ['output past --max-output', new OutputLimitError(1024), 'failed', true],
  ['bad input while running', new InputError('x'), 'failed', true],
  ['a when that cannot be decided', new WhenError('when x: undefined', { file: 'site.yml', line: 3 }), 'failed', true],
  ['a bug', new TypeError('x is undefined'), 'failed', false],
  ['a thrown string', 'boom', 'failed', false],
] as const) {
  test(`ends the task: ${title} → ${status}`, (t) => {
    t.deepEqual(taskEnding(err), { status, expected })
  })
}

test('a role bundle\'s own copy of TaskSkipped is still a skip: the brand, not the class, decides', (t) => {
  // What an esbuild bundle of the SDK makes: another class with the same brand.
  const ENDING = Symbol.for('labplay.task-ending')
  class CopiedSkip extends Error {
    readonly [ENDING] = 'skipped'
  }
  const err = new CopiedSkip('bundled')
  t.false(err instanceof TaskSkipped)
  t.deepEqual(taskEnding(err), { status: 'skipped', expected: true })
})
