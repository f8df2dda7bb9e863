import type { Writable } from 'node:stream'
import type { Reporter, RunEvent, RunSummary, TaskRef, TaskResult } from '../engine/events.ts'
import { createPalette, type Palette } from './palette.ts'
import { formatRecap } from './recap.ts'
import { SelectionLines } from './selection.ts'
import { PlayTally, type TaskTally } from './tally.ts'
import { formatDuration, oneLine, plural, taskLabel } from './text.ts'

export interface PlainOptions {
  stream: NodeJS.WritableStream | Writable
  color: boolean
  verbosity: number
  diff: boolean
}

// A 10-minute multicast shows it is alive in a CI log without flooding it.
const PROGRESS_EVERY_MS = 10_000

// CI logs and pipes: one line per fact, Ansible's words, grep-able, no cursor tricks.
export function createPlainReporter(opts: PlainOptions): Reporter {
  const paint = createPalette(opts.color)
  // Lines leave in one write per tick: 250 hosts × 20 tasks must not mean 5000 stream writes.
  let pending: string[] = []
  const flush = (): void => {
    if (pending.length) opts.stream.write(`${pending.join('\n')}\n`)
    pending = []
  }
  const write = (line: string): void => {
    if (pending.length === 0) setImmediate(flush)
    pending.push(line)
  }
  let play: PlayTally | undefined
  // --stale's verdicts of the current play.
  let selection: SelectionLines | undefined
  const lastProgress = new Map<number, number>()
  const lostInTask = new Set<string>()

  const taskDone = (t: TaskTally): void => {
    if (t.ended.size === 0) return
    selection?.flush(t.ref.role).forEach(write)
    write(taskSummary(t, opts.verbosity, paint))
  }

  return {
    event(e: RunEvent): void {
      const now = Date.now()
      if (e.type === 'play-start') {
        play = new PlayTally(e.play, e.hosts, e.tasks, e.batch)
        selection = new SelectionLines(e.hosts.length, paint)
        lastProgress.clear()
        const batch = e.batch ? `, batch ${e.batch.index + 1}/${e.batch.count}` : ''
        write(paint.bold(`PLAY [${e.play}] (${plural(e.hosts.length, 'host')}${batch})`))
        return
      }
      if (e.type === 'play-end') {
        play?.closeAll().forEach(taskDone)
        selection?.flush().forEach(write)
        play = undefined
        return
      }
      if (e.type === 'role-selected') {
        selection?.add(e).forEach(write)
        return
      }
      const finished = play?.apply(e, now) ?? []
      switch (e.type) {
        case 'host-start':
          if (opts.verbosity >= 3) write(paint.dim(`start: [${e.host}]`))
          break
        case 'task-start':
          if (opts.verbosity >= 3) write(paint.dim(`start: [${e.host}] ${taskLabel(e.task)}`))
          break
        case 'task-end':
          if (e.result.status === 'unreachable') lostInTask.add(e.host)
          hostLines(e.host, e.task, e.result, opts, paint).forEach(write)
          break
        case 'host-unreachable':
          // A host lost during a task was just reported on that task's line.
          if (!lostInTask.has(e.host)) write(paint.status('unreachable', `unreachable: [${e.host}] => ${oneLine(e.message)}`))
          break
        case 'warn':
          write(paint.warn(`[WARNING]: [${e.host}] ${oneLine(e.message)}`))
          break
        case 'progress':
          if (opts.verbosity >= 3 || now - (lastProgress.get(e.task.index) ?? -Infinity) >= PROGRESS_EVERY_MS) {
            lastProgress.set(e.task.index, now)
            write(paint.dim(`progress: ${taskLabel(e.task)} => ${oneLine(e.text)}`))
          }
          break
      }
      finished.forEach(taskDone)
    },
    async finish(summary: RunSummary): Promise<void> {
      play?.closeAll().forEach(taskDone)
      selection?.flush().forEach(write)
      play = undefined
      const text = [...pending, '', formatRecap(summary, opts.color)].join('\n')
      pending = []
      await new Promise<void>((resolve) => opts.stream.write(text, () => resolve()))
    },
  }
}

// The lines one host's result earns at this verbosity: status line, then its diff.
// (Its warnings arrive as `warn` events of their own.)
function hostLines(host: string, task: TaskRef, r: TaskResult, opts: PlainOptions, paint: Palette): string[] {
  const quiet = r.status === 'ok' || r.status === 'skipped'
  const lines: string[] = []
  if (!quiet || opts.verbosity >= 1) {
    const message = r.message ? ` => ${oneLine(r.message)}` : ''
    const took = opts.verbosity >= 2 ? ` (${formatDuration(r.durationMs)})` : ''
    lines.push(paint.status(r.status, `${r.status}: [${host}] ${taskLabel(task)}${message}`) + paint.dim(took))
  }
  if (opts.diff && r.diff?.length) {
    for (const line of r.diff.join('\n').split('\n')) lines.push(paint.diffLine(line))
  }
  return lines
}

// One line when a task is over on every host: what CI readers scan at verbosity 0.
function taskSummary(t: TaskTally, verbosity: number, paint: Palette): string {
  const counts = [
    `${t.ok} ok`,
    t.changed ? paint.status('changed', `${t.changed} changed`) : '0 changed',
    t.failed ? paint.status('failed', `${t.failed} failed`) : '',
    t.unreachable ? paint.status('unreachable', `${t.unreachable} unreachable`) : '',
    t.skipped ? paint.status('skipped', `${t.skipped} skipped`) : '',
  ].filter(Boolean)
  const took = verbosity >= 2 && t.firstStartMs !== undefined && t.lastEndMs !== undefined
    ? ` in ${formatDuration(t.lastEndMs - t.firstStartMs)}` : ''
  return `task: ${taskLabel(t.ref)} => ${plural(t.ended.size, 'host')}: ${counts.join(', ')}${took}`
}
