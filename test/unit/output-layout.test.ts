import test from 'ava'
import type { TaskRef } from '../../src/engine/events.ts'
import { HIDDEN, layoutFrame } from '../../src/output/layout.ts'
import { createPalette } from '../../src/output/palette.ts'
import { PlayTally } from '../../src/output/tally.ts'

const paint = createPalette(false)
const hosts = Array.from({ length: 250 }, (_, i) => `h${i}`)
const refs = [0, 1].map((index): TaskRef => ({ index, role: 'udpcast', name: index ? 'image received by multicast' : 'receiver ready', once: index === 1, handler: false }))

const lineCount = (slot: { title: string; output: string }) =>
  (slot.title === HIDDEN ? 0 : 1) + (slot.output ? slot.output.split('\n').length : 0)

test('249 failures in a 10-row terminal: bounded list, frame within rows', (t) => {
  const play = new PlayTally('site', hosts, refs)
  for (const host of hosts) play.apply({ type: 'task-start', host, task: refs[0] }, 0)
  for (const host of hosts.slice(1)) {
    play.apply({ type: 'task-end', host, task: refs[0], result: { status: 'failed', changed: false, durationMs: 1, message: 'no receiver' } }, 0)
  }
  const frame = layoutFrame(play, { columns: 80, rows: 10 }, 1000, paint, false)
  const slot = frame.tasks.get(0)!
  t.regex(slot.title, /^udpcast : receiver ready\s+249\/250  failed 249$/)
  const lines = slot.output.split('\n')
  t.is(lines.at(-1), '… and 243 more failed')
  t.is(lines[0], 'h1: no receiver')
  t.is(lineCount(frame.header) + [...frame.tasks.values()].reduce((n, s) => n + lineCount(s), 0), 9)
  t.is(frame.tasks.get(1)!.title, HIDDEN, 'a task no host reached yet takes no line')
})

test('a play-scoped task shows its progress text first, cut to the width', (t) => {
  const play = new PlayTally('site', hosts, refs)
  play.apply({ type: 'task-start', host: 'h0', task: refs[1] }, 0)
  play.apply({ type: 'progress', task: refs[1], text: `${'x'.repeat(100)}` }, 0)
  const slot = layoutFrame(play, { columns: 40, rows: 5 }, 0, paint, false).tasks.get(1)!
  t.deepEqual(slot.output.split('\n'), [`${'x'.repeat(31)}…`, 'h0 running 0s'])
  t.true(slot.title.length <= 36)
})
