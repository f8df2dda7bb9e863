import { Writable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import test from 'ava'
import type { Reporter, RunSummary, TaskRef } from '../../src/engine/events.ts'
import { createReporter } from '../../src/output/index.ts'
import { eventStorm, hostsOf, tasksOf } from './output-harness.ts'

// A terminal as Listr and log-update see one: isTTY, columns, rows, and every write kept.
const fakeTty = (columns = 80, rows = 24) => {
  const chunks: string[] = []
  const stream = Object.assign(new Writable({ write(chunk, _enc, cb) { chunks.push(String(chunk)); cb() } }), { isTTY: true, columns, rows })
  return { stream, chunks }
}

const strip = (s: string) => s.replace(/\u001B\[[0-9;?]*[A-Za-z]/g, '')

// Listr's frames: every write until it releases the terminal (cursor shown again).
const framesOf = (chunks: string[]): string[][] => {
  const end = chunks.findIndex((c) => c.includes('\u001B[?25h'))
  return chunks.slice(0, end === -1 ? chunks.length : end)
    .map((c) => strip(c).replace(/\n$/, ''))
    .filter((c) => c.trim() !== '')
    .map((c) => c.split('\n'))
}

const summaryOf = (hosts: string[]): RunSummary => ({
  playbook: 'site.yml', startedAt: '2025-01-01T00:00:00.000Z', durationMs: 4200, check: false, interrupted: false, exitCode: 2,
  hosts: hosts.map((host) => ({ host, ok: 3, changed: 1, unreachable: 0, failed: 0, skipped: 0, tasks: [], warnings: [] })),
})

// Wait until the terminal shows a text (frames come on the view's own clock, slower under load).
const shown = async (chunks: string[], text: string): Promise<void> => {
  for (let waited = 0; waited < 10_000 && !strip(chunks.join('')).includes(text); waited += 20) await sleep(20)
}

// Hosts run every task; 40 fail task 2, one is unreachable; pauses let the view render mid-task.
async function drive(reporter: Reporter, hosts: string[], tasks: TaskRef[], pauseMs: number, midTask = (_: TaskRef) => sleep(pauseMs)): Promise<void> {
  reporter.event({ type: 'play-start', play: 'site', hosts, tasks })
  reporter.event({ type: 'host-unreachable', host: hosts[6], message: 'connect ECONNREFUSED 10.0.0.7:22' })
  let alive = hosts.filter((h) => h !== hosts[6])
  for (const task of tasks) {
    for (const host of alive) reporter.event({ type: 'task-start', host, task })
    if (task.once) reporter.event({ type: 'progress', task, text: '3.2 GB of 7.9 GB · 96 MB/s · 249 receivers' })
    await sleep(pauseMs)
    const failing = new Set(task.index === 2 ? alive.slice(0, 40) : [])
    for (const [i, host] of alive.entries()) {
      const fail = failing.has(host)
      reporter.event({ type: 'task-end', host, task, result: {
        status: fail ? 'failed' : i % 7 ? 'ok' : 'changed', changed: !fail && i % 7 === 0, durationMs: 10,
        message: fail ? 'testparm rejected smb.conf' : undefined,
      } })
      if (i === Math.floor(alive.length / 2)) await midTask(task)
    }
    alive = alive.filter((h) => !failing.has(h))
    reporter.event({ type: 'warn', host: alive[task.index], message: 'reboot pending' })
  }
  reporter.event({ type: 'play-end', play: 'site' })
}

const assertFits = (t: import('ava').ExecutionContext, frames: string[][], columns: number, rows: number) => {
  t.true(frames.length > 5, `only ${frames.length} frames rendered`)
  for (const frame of frames) {
    t.true(frame.length <= rows - 1, `frame of ${frame.length} lines:\n${frame.join('\n')}`)
    for (const line of frame) t.true([...line].length <= columns, `line of ${[...line].length} columns: ${line}`)
  }
}

test('250 hosts, 8 tasks: every frame fits 80×24, failures listed under their task, bounded', async (t) => {
  const tty = fakeTty()
  const hosts = hostsOf(250)
  const reporter = createReporter({ stream: tty.stream, tty: true, color: false, verbosity: 0, diff: false })
  await drive(reporter, hosts, tasksOf(8), 110, (task) =>
    task.index === 2 ? shown(tty.chunks, 'more failed') : task.index === 4 ? shown(tty.chunks, '249 receivers') : sleep(110))
  await reporter.finish(summaryOf(hosts))
  const frames = framesOf(tty.chunks)
  assertFits(t, frames, 80, 24)
  const all = frames.map((f) => f.join('\n')).join('\n')
  t.regex(all, /m5-001: testparm rejected smb\.conf/)
  t.regex(all, /… and \d+ more failed/)
  t.regex(all, /m5-007: connect ECONNREFUSED/)
  t.regex(all, /3\.2 GB of 7\.9 GB · 96 MB\/s · 249 receivers/)
  const last = frames.at(-1) as string[]
  t.regex(last[0], /^✔ PLAY \[site\] · 250 hosts · 8\/8 tasks · 40 failed · 1 unreachable/)
  // Long labels give way to the counts at 80 columns.
  t.regex(last[3], /^✖ samba-loopback : outcome number 2 of the l…\s+249\/249  changed 30  failed 40$/)
  t.regex(last[1], /^✔ kvm-module : outcome number 0 of the lab checklist\s+249\/249  changed 36$/)
  t.regex(last[4], /^✔ gdm-session : outcome number 3 of the lab checklist\s+209\/209  changed 30$/)
  const text = strip(tty.chunks.join(''))
  t.regex(text, /failed: samba-loopback : outcome number 2 of the lab checklist \(40 hosts\)\n {2}testparm rejected smb\.conf: m5-001, m5-002/)
  t.true(text.includes('\nPLAY RECAP ***'))
  t.false(tty.chunks.join('').includes('\u001B[3'), 'no colour codes with color=false')
})

test('more tasks than rows: finished tasks leave the frame, which still fits', async (t) => {
  const tty = fakeTty()
  const hosts = hostsOf(250)
  const reporter = createReporter({ stream: tty.stream, tty: true, color: true, verbosity: 0, diff: false })
  await drive(reporter, hosts, tasksOf(30), 25)
  await reporter.finish(summaryOf(hosts))
  const frames = framesOf(tty.chunks)
  assertFits(t, frames, 80, 24)
  t.regex((frames.at(-1) as string[])[0], /30\/30 tasks/)
})

test('a small room in a tall terminal shows per-host lines for running hosts', async (t) => {
  const tty = fakeTty(100, 40)
  const hosts = hostsOf(18)
  const reporter = createReporter({ stream: tty.stream, tty: true, color: false, verbosity: 0, diff: false })
  await drive(reporter, hosts, tasksOf(3), 150, () => shown(tty.chunks, 'm5-018 running'))
  await reporter.finish(summaryOf(hosts))
  const frames = framesOf(tty.chunks)
  assertFits(t, frames, 100, 40)
  t.true(frames.some((f) => f.some((line) => /^ {2}(› | {2})m5-018 running \ds$/.test(line))))
})

test('5000 events through the live reporter cost little', async (t) => {
  const tty = fakeTty()
  const hosts = hostsOf(250)
  const tasks = tasksOf(20)
  const reporter = createReporter({ stream: tty.stream, tty: true, color: true, verbosity: 0, diff: false })
  const took = eventStorm(reporter, hosts, tasks)
  await reporter.finish(summaryOf(hosts))
  t.log(`${took.toFixed(1)} ms for events, ${tty.chunks.length} writes`)
  t.true(took < 200)
  t.true(tty.chunks.length < 200, 'renders are bounded, not one per event')
})

test('serial batches render one after the other; an interrupted play still ends with the recap', async (t) => {
  const tty = fakeTty()
  const hosts = hostsOf(20)
  const [task] = tasksOf(1)
  const reporter = createReporter({ stream: tty.stream, tty: true, color: false, verbosity: 0, diff: false })
  reporter.event({ type: 'host-unreachable', host: 'm5-099', message: 'no route to host' })
  for (const [index, batch] of [hosts.slice(0, 10), hosts.slice(10)].entries()) {
    reporter.event({ type: 'play-start', play: 'site', hosts: batch, tasks: [task], batch: { index, count: 2 } })
    for (const host of batch) reporter.event({ type: 'task-end', host, task, result: { status: 'ok', changed: false, durationMs: 1 } })
    reporter.event({ type: 'play-end', play: 'site' })
  }
  // Ctrl-C: a third batch starts, one host begins, and the run ends without play-end.
  reporter.event({ type: 'play-start', play: 'site', hosts, tasks: [task], batch: { index: 0, count: 1 } })
  reporter.event({ type: 'task-start', host: 'm5-001', task })
  await sleep(150)
  await reporter.finish({ ...summaryOf(hosts), interrupted: true })
  const text = strip(tty.chunks.join(''))
  t.true(text.startsWith('unreachable: [m5-099] => no route to host\n'))
  t.regex(text, /✔ PLAY \[site\] · batch 1\/2 · 10 hosts · 1\/1 tasks[^]*✔ PLAY \[site\] · batch 2\/2 · 10 hosts/)
  t.regex(text, /✖ kvm-module : outcome number 0 of the lab checklist\s+0\/20/)
  t.true(text.trimEnd().endsWith('(interrupted)'))
})
