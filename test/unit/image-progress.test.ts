import test from 'ava'
import { barLine, doneLine, plainLine, Progress } from '../../src/image/progress.ts'

// The hash's progress as data: the line for a state, and what a terminal or a pipe is sent as the bytes go by
// (a clock of our own, a stream that keeps what it is written).

const GB = 1e9

function stream(tty: boolean, columns = 100): { writes: string[]; write: (s: string) => void; isTTY: boolean; columns: number } {
  const writes: string[] = []
  return { writes, write: (s) => void writes.push(s), isTTY: tty, columns }
}

test('a bar line: bar, percent, bytes, rate and ETA', (t) => {
  t.is(barLine('hashing win11.qcow2', { done: 7.74 * GB, total: 17.2 * GB, rate: 412e6 }, 100),
    'hashing win11.qcow2 [==============>                 ]  45%  7.7 GB of 17.2 GB  412 MB/s  ETA 0:23')
  t.regex(barLine('h', { done: 0, total: 17.2 * GB, rate: 0 }, 80), /  0%  0 B of 17.2 GB  0.0 MB\/s  ETA --:--$/, 'no rate yet: no ETA')
  t.regex(barLine('h', { done: 5, total: 5, rate: 1 }, 80), /^h \[=+\] 100% /, 'full')
})

test('a bar line fits the terminal: narrower bar, then no bar, never wider than the columns', (t) => {
  const s = { done: 1 * GB, total: 60 * GB, rate: 95e6 }
  for (const columns of [200, 100, 80, 60, 40, 20]) {
    const line = barLine('hashing a-long-image-name-2026.12.qcow2', s, columns)
    t.true(line.length <= columns - 1, `${columns}: ${line}`)
  }
  t.false(barLine('hashing a-long-image-name-2026.12.qcow2', s, 60).includes('['), 'no room for a bar of 10')
  t.is(barLine('h', { done: 0, total: 3725e6, rate: 1e6 }, 120).slice(-11), 'ETA 1:02:05', 'past an hour')
})

test('plain and done lines', (t) => {
  t.is(plainLine('hashing w.qcow2', { done: 6.9 * GB, total: 17.2 * GB, rate: 9.5e6 }), 'hashing w.qcow2: 40% (6.9 GB of 17.2 GB, 9.5 MB/s, ETA 18:05)')
  t.is(doneLine('hashed w.qcow2', 17.2 * GB, 41_700), 'hashed w.qcow2: 17.2 GB in 41.7s (412 MB/s)')
})

test('on a terminal: a frame at once, at most one per 100 ms, drawn over itself; the last line replaces it', (t) => {
  let now = 1000
  const out = stream(true)
  const p = new Progress(out, 'hashing w', 100e6, () => now)
  t.deepEqual(out.writes, [`\r${barLine('hashing w', { done: 0, total: 100e6, rate: 0 }, 100)}\x1b[K`])
  now += 50
  p.update(10e6)
  t.is(out.writes.length, 1, 'too soon for a frame')
  now += 50
  p.update(20e6)
  t.is(out.writes.length, 2)
  t.regex(out.writes[1]!, /^\r.* 20% .* 200 MB\/s  ETA 0:01\x1b\[K$/)
  now += 400
  p.update(100e6)
  p.finish('hashed w')
  t.is(out.writes.at(-1), '\rhashed w: 100.0 MB in 500ms (200 MB/s)\x1b[K\n')
  t.false(out.writes.some((w) => w.includes('\n') && w !== out.writes.at(-1)), 'one line only, until the end')
})

test('piped: a first line, one line at each tenth (never twice), then the last line', (t) => {
  let now = 0
  const out = stream(false)
  const p = new Progress(out, 'hashing w', 1000, () => now)
  for (let done = 0; done <= 1000; done += 25) {
    now += 10
    p.update(done)
  }
  p.finish('hashed w')
  t.is(out.writes[0], 'hashing w (1.0 kB)\n')
  t.deepEqual(out.writes.slice(1, -1).map((l) => /: (\d+)%/.exec(l)?.[1]), ['10', '20', '30', '40', '50', '60', '70', '80', '90'])
  t.true(out.writes.every((w) => w.endsWith('\n') && !w.includes('\r') && !w.includes('\x1b')), 'no terminal controls in a pipe')
  t.regex(out.writes.at(-1)!, /^hashed w: 1\.0 kB in 410ms /)
})

test('the rate follows the last five seconds: a disk that slows down moves the ETA', (t) => {
  let now = 0
  const out = stream(false)
  const p = new Progress(out, 'h', 1.5e9, () => now)
  let done = 0
  for (let s = 0; s < 10; s++) {
    now += 1000
    p.update((done += 100e6))
  }
  for (let s = 0; s < 6; s++) {
    now += 1000
    p.update((done += 10e6))
  }
  // 70% is crossed after five slow seconds: its line shows the slow rate only.
  const last = out.writes.at(-1)!
  t.regex(last, /^h: 70% \(1\.1 GB of 1\.5 GB, 10\.0 MB\/s, ETA 0:45\)\n$/, last)
})

test('stopped short on a terminal: the bar is cleared for the error that follows', (t) => {
  const out = stream(true)
  new Progress(out, 'h', 10, () => 0).abandon()
  t.is(out.writes.at(-1), '\r\x1b[K')
})
