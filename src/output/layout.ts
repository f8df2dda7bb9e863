import type { Palette } from './palette.ts'
import { expected, type HostNote, type PlayTally, type TaskTally } from './tally.ts'
import { fit, oneLine, plural, taskLabel } from './text.ts'

// What one Listr task shows: its title line and the lines under it.
export interface Slot {
  title: string
  output: string
}

// The whole live frame: the play's header line and one slot per task index.
export interface LiveFrame {
  header: Slot
  tasks: Map<number, Slot>
}

export interface ViewSize {
  columns: number
  rows: number
}

// A title that renders no line but keeps the Listr task titled (untitled output goes to the bottom bar).
export const HIDDEN = ' '
const hiddenSlot: Slot = { title: HIDDEN, output: '' }

// log-update keeps the cursor on the line after the frame, so a frame may use rows - 1 lines.
const frameLines = (size: ViewSize): number => Math.max(3, size.rows - 1)

// Plays with more tasks than rows lose finished task lines (Listr freezes a finished line for good).
export function collapsesDone(taskCount: number, size: ViewSize): boolean {
  return 1 + taskCount > frameLines(size) - 4
}

const started = (t: TaskTally): boolean => t.firstStartMs !== undefined || t.ended.size > 0

// Show items within m lines; when they do not fit, the last line counts the rest.
function bounded(items: string[], m: number, word: string): string[] {
  if (m <= 0) return []
  if (items.length <= m) return items
  const shown = items.slice(0, m - 1)
  const rest = items.length - shown.length
  return [...shown, shown.length ? `… and ${rest} more ${word}` : `… ${rest} ${word}`]
}

// Hand out `free` lines one at a time across claimants, in order, until all are served or none is left.
function roundRobin(wants: number[], free: number): { given: number[]; free: number } {
  const given = wants.map(() => 0)
  let progress = true
  while (free > 0 && progress) {
    progress = false
    for (let i = 0; i < wants.length && free > 0; i++) {
      if (given[i] < wants[i]) {
        given[i]++
        free--
        progress = true
      }
    }
  }
  return { given, free }
}

const noteLine = (n: HostNote, width: number): string => fit(`${n.host}: ${oneLine(n.message)}`, width)

// The frame for this instant: every line fits the width, the whole fits the rows, most useful lines first.
export function layoutFrame(play: PlayTally, size: ViewSize, nowMs: number, paint: Palette, collapse: boolean): LiveFrame {
  const titleWidth = size.columns - 4
  const outWidth = size.columns - 8
  const maxLines = frameLines(size)
  const visibleDone = play.tasks.filter((t) => t.done && started(t) && !collapse)
  const active = play.tasks.filter((t) => !t.done && started(t))
  const shown = active.slice(0, Math.max(0, maxLines - 1 - visibleDone.length))
  let free = maxLines - 1 - visibleDone.length - shown.length

  const progressOf = new Set<TaskTally>()
  for (const t of shown) {
    if (free > 0 && t.ref.once && t.progress) {
      progressOf.add(t)
      free--
    }
  }
  const cut = (ns: HostNote[]): string[] => ns.map((n) => noteLine(n, outWidth))
  const failureLists = [cut(play.unreachable), ...shown.map((t) => cut(t.failures))]
  const failureShare = roundRobin(failureLists.map((l) => l.length), free)
  free = failureShare.free
  const warningShare = roundRobin([Math.min(3, play.warnings.length)], free)
  free = warningShare.free
  const runningOf = new Set<TaskTally>()
  for (const t of shown) {
    if (t.running.size > 0 && t.running.size <= free) {
      runningOf.add(t)
      free -= t.running.size
    }
  }

  const tasks = new Map<number, Slot>()
  for (const t of play.tasks) tasks.set(t.ref.index, hiddenSlot)
  const labelWidth = Math.max(0, ...[...visibleDone, ...shown].map((t) => taskLabel(t.ref).length))
  for (const t of visibleDone) tasks.set(t.ref.index, { title: taskTitle(t, play, titleWidth, labelWidth, paint), output: '' })
  shown.forEach((t, i) => {
    const lines: string[] = []
    if (progressOf.has(t)) lines.push(fit(oneLine(t.progress), outWidth))
    lines.push(...bounded(failureLists[i + 1], failureShare.given[i + 1], 'failed'))
    if (runningOf.has(t)) {
      const byAge = [...t.running].sort((a, b) => a[1] - b[1])
      lines.push(...byAge.map(([host, since]) => fit(`${host} running ${Math.floor((nowMs - since) / 1000)}s`, outWidth)))
    }
    tasks.set(t.ref.index, { title: taskTitle(t, play, titleWidth, labelWidth, paint), output: lines.join('\n') })
  })

  const headerLines = [
    ...bounded(failureLists[0], failureShare.given[0], 'unreachable'),
    ...bounded(cut(play.warnings), warningShare.given[0], 'warnings'),
  ]
  const header = { title: headerTitle(play, active.length - shown.length, titleWidth, paint), output: headerLines.join('\n') }
  return { header, tasks }
}

type Piece = [text: string, color: (s: string) => string]
const asIs = (s: string): string => s

// `samba-loopback : smb.conf listens on loopback only   250/250  changed 12  failed 1`, within width.
function taskTitle(t: TaskTally, play: PlayTally, width: number, labelWidth: number, paint: Palette): string {
  const want = expected(t, play.hosts.length)
  const count = want === undefined ? plural(t.ended.size, 'host') : `${String(t.ended.size).padStart(String(want).length)}/${want}`
  const parts: Piece[] = [[count, asIs]]
  if (t.changed) parts.push([`changed ${t.changed}`, (s) => paint.status('changed', s)])
  if (t.failed) parts.push([`failed ${t.failed}`, (s) => paint.status('failed', s)])
  if (t.unreachable) parts.push([`unreachable ${t.unreachable}`, (s) => paint.status('unreachable', s)])
  if (t.skipped) parts.push([`skipped ${t.skipped}`, (s) => paint.status('skipped', s)])
  const rightWidth = parts.reduce((n, [text]) => n + text.length + 2, -2)
  const room = Math.max(8, width - rightWidth - 3)
  const left = fit(taskLabel(t.ref), room).padEnd(Math.min(labelWidth, room))
  return `${left}   ${parts.map(([text, color]) => color(text)).join('  ')}`
}

// `PLAY [site] · batch 1/3 · 250 hosts · 12/20 tasks · 1 failed · 2 unreachable`: the play at a glance.
// Handlers are left out of the task count: they stay open until the play ends.
function headerTitle(play: PlayTally, moreRunning: number, width: number, paint: Palette): string {
  const tasks = play.tasks.filter((t) => !t.ref.handler)
  const failed = play.tasks.reduce((n, t) => n + t.failed, 0)
  const rest: Piece[] = []
  if (play.batch) rest.push([`batch ${play.batch.index + 1}/${play.batch.count}`, asIs])
  rest.push([plural(play.hosts.length, 'host'), asIs], [`${tasks.filter((t) => t.done).length}/${tasks.length} tasks`, asIs])
  if (failed) rest.push([`${failed} failed`, (s) => paint.status('failed', s)])
  if (play.unreachable.length) rest.push([`${play.unreachable.length} unreachable`, (s) => paint.status('unreachable', s)])
  if (play.warnings.length) rest.push([plural(play.warnings.length, 'warning'), paint.warn])
  if (moreRunning) rest.push([`${moreRunning} more running`, paint.dim])
  const name = fit(`PLAY [${play.name}]`, width)
  let budget = width - name.length
  const kept = [paint.bold(name)]
  for (const [text, color] of rest) {
    if (text.length + 3 > budget) break
    kept.push(color(text))
    budget -= text.length + 3
  }
  return kept.join(' · ')
}
