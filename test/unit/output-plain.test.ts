import { Writable } from 'node:stream'
import test from 'ava'
import type { RunEvent, RunSummary, TaskRef } from '../../src/engine/events.ts'
import { createReporter } from '../../src/output/index.ts'
import { eventStorm, hostsOf, tasksOf } from './output-harness.ts'

const sink = () => {
  const chunks: string[] = []
  const stream = new Writable({ write(chunk, _enc, cb) { chunks.push(String(chunk)); cb() } })
  return { stream, text: () => chunks.join('') }
}

const kvm: TaskRef = { index: 0, role: 'kvm-module', name: 'kvm module loaded', once: false, handler: false }
const persist: TaskRef = { index: 1, role: 'kvm-module', name: 'module loads at boot', once: false, handler: false }
const reload: TaskRef = { index: 2, role: 'kvm-module', name: 'reload udev rules', once: false, handler: true }

// A small play: m5-03 unreachable, m5-02 changes then fails, m5-01 is ok then skipped.
const script: RunEvent[] = [
  { type: 'play-start', play: 'site', hosts: ['m5-01', 'm5-02', 'm5-03'], tasks: [kvm, persist, reload] },
  { type: 'host-start', host: 'm5-01' },
  { type: 'host-unreachable', host: 'm5-03', message: 'connect ECONNREFUSED\n10.0.0.3:22' },
  { type: 'task-start', host: 'm5-01', task: kvm },
  { type: 'task-end', host: 'm5-01', task: kvm, result: { status: 'ok', changed: false, durationMs: 120 } },
  { type: 'task-end', host: 'm5-02', task: kvm, result: { status: 'changed', changed: true, durationMs: 1500, diff: ['--- /etc/modules\n+++ /etc/modules\n@@ -1 +1,2 @@\n loop\n+kvm_intel'] } },
  { type: 'warn', host: 'm5-01', message: 'reboot pending' },
  { type: 'task-end', host: 'm5-01', task: persist, result: { status: 'skipped', changed: false, durationMs: 1, message: 'not an Intel CPU' } },
  { type: 'task-end', host: 'm5-02', task: persist, result: { status: 'failed', changed: false, durationMs: 30, message: 'modprobe: FATAL: Module kvm_intel not found' } },
  { type: 'task-end', host: 'm5-01', task: reload, result: { status: 'changed', changed: true, durationMs: 5 } },
  { type: 'play-end', play: 'site' },
]

const summary: RunSummary = {
  playbook: 'site.yml', startedAt: '2025-01-01T00:00:00.000Z', durationMs: 2000, check: false, interrupted: false, exitCode: 2,
  hosts: [
    { host: 'm5-01', ok: 1, changed: 0, unreachable: 0, failed: 0, skipped: 1, tasks: [], warnings: ['reboot pending'] },
    { host: 'm5-02', ok: 1, changed: 1, unreachable: 0, failed: 1, skipped: 0, tasks: [], warnings: [] },
    { host: 'm5-03', ok: 0, changed: 0, unreachable: 1, failed: 0, skipped: 0, tasks: [], warnings: [] },
  ],
}

const run = async (verbosity: number, diff: boolean, color = false): Promise<string> => {
  const out = sink()
  const reporter = createReporter({ stream: out.stream, tty: false, color, verbosity, diff })
  for (const e of script) reporter.event(e)
  await reporter.finish(summary)
  return out.text()
}

const body = (text: string) => text.slice(0, text.indexOf('\n\n'))

test('verbosity 0: changes, failures, unreachable, warnings, one line per finished task', async (t) => {
  t.is(body(await run(0, false)), [
    'PLAY [site] (3 hosts)',
    'unreachable: [m5-03] => connect ECONNREFUSED ⏎ 10.0.0.3:22',
    'changed: [m5-02] kvm-module : kvm module loaded',
    'task: kvm-module : kvm module loaded => 2 hosts: 1 ok, 1 changed',
    '[WARNING]: [m5-01] reboot pending',
    'failed: [m5-02] kvm-module : module loads at boot => modprobe: FATAL: Module kvm_intel not found',
    'task: kvm-module : module loads at boot => 2 hosts: 0 ok, 0 changed, 1 failed, 1 skipped',
    'changed: [m5-01] kvm-module : reload udev rules',
    'task: kvm-module : reload udev rules => 1 host: 0 ok, 1 changed',
  ].join('\n'))
})

test('-v adds ok and skipped lines; --diff prints the diff under its host line', async (t) => {
  t.is(body(await run(1, true)), [
    'PLAY [site] (3 hosts)',
    'unreachable: [m5-03] => connect ECONNREFUSED ⏎ 10.0.0.3:22',
    'ok: [m5-01] kvm-module : kvm module loaded',
    'changed: [m5-02] kvm-module : kvm module loaded',
    '--- /etc/modules',
    '+++ /etc/modules',
    '@@ -1 +1,2 @@',
    ' loop',
    '+kvm_intel',
    'task: kvm-module : kvm module loaded => 2 hosts: 1 ok, 1 changed',
    '[WARNING]: [m5-01] reboot pending',
    'skipped: [m5-01] kvm-module : module loads at boot => not an Intel CPU',
    'failed: [m5-02] kvm-module : module loads at boot => modprobe: FATAL: Module kvm_intel not found',
    'task: kvm-module : module loads at boot => 2 hosts: 0 ok, 0 changed, 1 failed, 1 skipped',
    'changed: [m5-01] kvm-module : reload udev rules',
    'task: kvm-module : reload udev rules => 1 host: 0 ok, 1 changed',
  ].join('\n'))
})

test('-vv adds durations per host and per task', async (t) => {
  const text = await run(2, false)
  t.true(text.includes('changed: [m5-02] kvm-module : kvm module loaded (1.5s)\n'))
  t.regex(text, /^task: kvm-module : kvm module loaded => 2 hosts: 1 ok, 1 changed in \d+ms$/m)
})

test('plain output ends with the recap and the summary line', async (t) => {
  const text = await run(0, false)
  t.true(text.includes('\nPLAY RECAP ***'))
  t.true(text.endsWith('3 hosts: 1 ok (0 changed), 1 failed, 1 unreachable in 2.0s\n'))
})

test('no ANSI codes at all when colour is off; colours when on', async (t) => {
  t.false((await run(3, true, false)).includes('\u001B'))
  t.true((await run(0, true, true)).includes('\u001B[33mchanged: [m5-02]'))
})

test('5000 events through the plain reporter cost little', async (t) => {
  const out = sink()
  const reporter = createReporter({ stream: out.stream, tty: false, color: true, verbosity: 1, diff: false })
  const took = eventStorm(reporter, hostsOf(250), tasksOf(20))
  t.log(`${took.toFixed(1)} ms`)
  t.true(took < 200)
  await new Promise(setImmediate)
  t.is(out.text().split('\n').filter((l) => l.startsWith('task: ')).length, 20)
})

test('a host lost during a task is reported once, on its task line; warnings of a result come as warn events', async (t) => {
  const out = sink()
  const reporter = createReporter({ stream: out.stream, tty: false, color: false, verbosity: 0, diff: false })
  reporter.event({ type: 'play-start', play: 'site', hosts: ['m5-01'], tasks: [kvm] })
  reporter.event({ type: 'warn', host: 'm5-01', message: 'reboot pending' })
  reporter.event({ type: 'task-end', host: 'm5-01', task: kvm, result: { status: 'unreachable', changed: false, durationMs: 9, message: 'connection reset', warnings: ['reboot pending'] } })
  reporter.event({ type: 'host-unreachable', host: 'm5-01', message: 'connection reset' })
  reporter.event({ type: 'play-end', play: 'site' })
  await reporter.finish({ ...summary, hosts: [] })
  t.is(body(out.text()), [
    'PLAY [site] (1 host)',
    '[WARNING]: [m5-01] reboot pending',
    'unreachable: [m5-01] kvm-module : kvm module loaded => connection reset',
    'task: kvm-module : kvm module loaded => 1 host: 0 ok, 0 changed, 1 unreachable',
  ].join('\n'))
})

test('progress of a long play-scoped step: first line at once, then at most every 10 s', async (t) => {
  const out = sink()
  const cast: TaskRef = { index: 0, role: 'udpcast', name: 'image sent to the room', once: true, handler: false }
  const reporter = createReporter({ stream: out.stream, tty: false, color: false, verbosity: 0, diff: false })
  reporter.event({ type: 'play-start', play: 'site', hosts: ['m5-01'], tasks: [cast] })
  for (const pct of [10, 20, 30]) reporter.event({ type: 'progress', task: cast, text: `${pct}% · 96 MB/s · 18 receivers` })
  await reporter.finish({ ...summary, hosts: [] })
  t.deepEqual(out.text().split('\n').filter((l) => l.startsWith('progress')), ['progress: udpcast : image sent to the room => 10% · 96 MB/s · 18 receivers'])
})
