import test from 'ava'
import type { TaskRef } from '../../src/engine/events.ts'
import { PlayTally } from '../../src/output/tally.ts'

const refs = [0, 1, 2].map((index): TaskRef => ({ index, role: 'r', name: `t${index}`, once: false, handler: false }))
const ok = { status: 'ok', changed: false, durationMs: 1 } as const
const failed = { status: 'failed', changed: false, durationMs: 1, message: 'boom' } as const

test('a task is done when every host still in the play has ended it', (t) => {
  const play = new PlayTally('site', ['a', 'b', 'c'], refs)
  t.deepEqual(play.apply({ type: 'task-end', host: 'a', task: refs[0], result: ok }, 0), [])
  t.deepEqual(play.apply({ type: 'task-end', host: 'b', task: refs[0], result: failed }, 0), [])
  const done = play.apply({ type: 'task-end', host: 'c', task: refs[0], result: ok }, 0)
  t.deepEqual(done.map((x) => x.ref.index), [0])
  t.deepEqual(play.tasks[0].failures, [{ host: 'b', message: 'boom' }])
  // b failed: later tasks expect only a and c.
  play.apply({ type: 'task-end', host: 'a', task: refs[1], result: ok }, 0)
  t.deepEqual(play.apply({ type: 'task-end', host: 'c', task: refs[1], result: ok }, 0).map((x) => x.ref.index), [1])
})

test('an unreachable host finishes the tasks that only waited for it', (t) => {
  const play = new PlayTally('site', ['a', 'b'], refs)
  play.apply({ type: 'task-start', host: 'b', task: refs[0] }, 0)
  play.apply({ type: 'task-end', host: 'a', task: refs[0], result: ok }, 0)
  play.apply({ type: 'task-end', host: 'a', task: refs[1], result: ok }, 0)
  const done = play.apply({ type: 'host-unreachable', host: 'b', message: 'gone' }, 0)
  t.deepEqual(done.map((x) => x.ref.index), [0, 1])
  t.is(play.tasks[0].running.size, 0)
  t.deepEqual(play.unreachable, [{ host: 'b', message: 'gone' }])
  t.deepEqual(play.closeAll().map((x) => x.ref.index), [2])
})

test('a repeated task-end and a late one from a departed host are not counted twice', (t) => {
  const play = new PlayTally('site', ['a', 'b'], refs)
  play.apply({ type: 'host-unreachable', host: 'b', message: 'gone' }, 0)
  play.apply({ type: 'task-end', host: 'b', task: refs[0], result: { ...ok, status: 'unreachable' } }, 0)
  t.is(play.tasks[0].dropped, 0)
  t.deepEqual(play.apply({ type: 'task-end', host: 'a', task: refs[0], result: ok }, 0).map((x) => x.ref.index), [0])
  t.deepEqual(play.apply({ type: 'task-end', host: 'a', task: refs[0], result: ok }, 0), [])
  t.is(play.tasks[0].ok, 1)
})

test('a handler is closed by the play, never by a host count', (t) => {
  const handler: TaskRef = { index: 3, role: 'r', name: 'restart smbd', once: false, handler: true }
  const play = new PlayTally('site', ['a', 'b'], [...refs, handler])
  for (const task of refs) play.apply({ type: 'task-end', host: 'a', task, result: ok }, 0)
  t.deepEqual(play.apply({ type: 'task-end', host: 'a', task: handler, result: ok }, 0), [])
  t.deepEqual(play.apply({ type: 'host-unreachable', host: 'b', message: 'gone' }, 0).map((x) => x.ref.index), [0, 1, 2])
  t.false(play.tasks[3].done)
  t.deepEqual(play.closeAll().map((x) => x.ref.index), [3])
})
