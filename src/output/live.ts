import type { Writable } from 'node:stream'
import {
  Listr, ListrDefaultRendererLogLevels, ListrLogger, ProcessOutput,
  type ListrDefaultRenderer, type ListrDefaultRendererOptions, type ListrTask, type ListrTaskWrapper,
} from 'listr2'
import type { Reporter, RunEvent, RunSummary } from '../engine/events.ts'
import { HIDDEN, collapsesDone, layoutFrame, type LiveFrame, type Slot, type ViewSize } from './layout.ts'
import { createPalette, type Palette } from './palette.ts'
import { formatRecap } from './recap.ts'
import { groupedLines, selectionCount, type Verdict } from './selection.ts'
import { PlayTally, expected, type HostNote } from './tally.ts'
import { fit, oneLine, plural, taskLabel } from './text.ts'

export interface LiveOptions {
  stream: NodeJS.WriteStream | Writable
  color: boolean
  columns?: number
  rows?: number
}

// Lines cut to the terminal's width are coloured after the cut.
const PLAIN = createPalette(false)

// Events only fold into the tally; the frame is recomputed at this pace, whatever the event rate.
const REFRESH_MS = 100
// Failures listed after a play's frame; the rest are in the recap and --json.
const AFTER_PLAY_LINES = 10

type Wrapper = ListrTaskWrapper<unknown, ListrDefaultRenderer, ListrDefaultRenderer>
type Task = ListrTask<unknown, ListrDefaultRenderer, ListrDefaultRenderer>

interface TaskView {
  wrapper?: Wrapper
  shown: Slot
  done: Promise<void>
  resolve: () => void
}

function taskView(): TaskView {
  let resolve = (): void => {}
  const done = new Promise<void>((r) => (resolve = r))
  return { shown: { title: HIDDEN, output: '' }, done, resolve }
}

// Push a slot into its Listr task only when it changed: every setter call re-renders.
function show(view: TaskView, slot: Slot): void {
  if (!view.wrapper) return
  if (slot.title !== view.shown.title) view.wrapper.title = slot.title
  if (slot.output !== view.shown.output) view.wrapper.output = slot.output
  view.shown = slot
}

// Without colour, Listr's icons keep their shape and lose their ANSI codes.
function plainStyle(): Pick<ListrDefaultRendererOptions, 'color'> {
  const identity = (s?: string): string => s ?? ''
  return { color: Object.fromEntries(Object.values(ListrDefaultRendererLogLevels).map((l) => [l, identity])) }
}

// One play on screen: a Listr task for the header and one per play task, each ended by the tally.
class LivePlay {
  readonly tally: PlayTally
  // --stale's verdicts (role-selected events) of this play.
  readonly verdicts: Verdict[] = []
  private readonly header = taskView()
  private readonly views = new Map<number, TaskView>()
  private readonly collapse: boolean

  constructor(e: Extract<RunEvent, { type: 'play-start' }>, private readonly size: ViewSize, private readonly paint: Palette) {
    this.tally = new PlayTally(e.play, e.hosts, e.tasks, e.batch)
    for (const t of e.tasks) this.views.set(t.index, taskView())
    this.collapse = collapsesDone(e.tasks.length, size)
  }

  finished(index: number): void {
    this.views.get(index)?.resolve()
  }

  end(): void {
    this.tally.closeAll()
    for (const view of this.views.values()) view.resolve()
    this.header.resolve()
  }

  async run(stream: NodeJS.WriteStream, color: boolean): Promise<void> {
    // Other writes to the terminal wait until the frame is released, then print below it.
    const held = new ProcessOutput(stream, stream === process.stdout ? process.stderr : stream, { leaveEmptyLine: false })
    const rendererOptions: ListrDefaultRendererOptions = {
      logger: new ListrLogger({ processOutput: held }),
      formatOutput: 'truncate',
      collapseErrors: true,
      showErrorMessage: true,
      ...(color ? {} : plainStyle()),
    }
    const tasks: Task[] = [
      { title: HIDDEN, task: (_ctx, wrapper) => this.runView(this.header, wrapper, () => this.frame().header, () => false) },
      ...this.tally.tasks.map((t): Task => {
        const view = this.views.get(t.ref.index) as TaskView
        const slotOf = (): Slot => this.frame().tasks.get(t.ref.index) ?? { title: HIDDEN, output: '' }
        const bad = (): boolean => t.failed > 0 || t.ended.size < (expected(t, this.tally.hosts.length) ?? 0)
        return { title: HIDDEN, task: (_ctx, wrapper) => this.runView(view, wrapper, slotOf, bad) }
      }),
    ]
    const listr = new Listr<unknown, 'default', 'default'>(tasks, {
      concurrent: true,
      exitOnError: false,
      collectErrors: false,
      registerSignalListeners: false,
      renderer: 'default',
      rendererOptions,
      // The caller already decided this is a terminal; Listr only looks at process.stdout.
      fallbackRenderer: 'default',
      fallbackRendererOptions: rendererOptions,
    })
    const timer = setInterval(() => this.refresh(), REFRESH_MS)
    try {
      await listr.run()
    } finally {
      clearInterval(timer)
    }
    const after = this.afterLines()
    if (after.length) stream.write(`${after.join('\n')}\n`)
  }

  // A Listr task's whole life: show the slot, wait for the tally to end it, freeze the final line
  // (a task with failures, or cut short by an interruption, ends as Listr's failed line, ✖).
  private async runView(view: TaskView, wrapper: Wrapper, slot: () => Slot, bad: () => boolean): Promise<void> {
    view.wrapper = wrapper
    show(view, slot())
    await view.done
    const last = slot()
    show(view, { title: last.title, output: '' })
    if (last.title !== HIDDEN && bad()) throw new Error(last.title)
  }

  private frame(): LiveFrame {
    return layoutFrame(this.tally, this.size, Date.now(), this.paint, this.collapse)
  }

  private refresh(): void {
    const frame = this.frame()
    show(this.header, frame.header)
    for (const [index, view] of this.views) {
      const slot = frame.tasks.get(index)
      if (slot) show(view, slot)
    }
  }

  // What scrolls up once the frame is final: unreachable hosts and failures grouped by message, bounded.
  private afterLines(): string[] {
    const width = this.size.columns - 1
    const groups = (notes: HostNote[]): string[] => {
      const hostsBy = new Map<string, string[]>()
      for (const n of notes) hostsBy.set(oneLine(n.message), [...(hostsBy.get(oneLine(n.message)) ?? []), n.host])
      return [...hostsBy].map(([message, hosts]) => fit(`  ${message}: ${hosts.join(', ')}`, width))
    }
    const lines: string[] = []
    // --stale: the count first; why the roles that run were selected comes last, the first lines cut when space is short.
    if (this.verdicts.length) lines.push(selectionCount(this.verdicts))
    if (this.tally.unreachable.length) {
      lines.push(this.paint.status('unreachable', `unreachable: ${plural(this.tally.unreachable.length, 'host')}`), ...groups(this.tally.unreachable))
    }
    for (const t of this.tally.tasks.filter((x) => x.failures.length)) {
      const label = fit(`failed: ${taskLabel(t.ref)}`, width - 12)
      lines.push(this.paint.status('failed', `${label} (${plural(t.failures.length, 'host')})`), ...groups(t.failures))
    }
    const running = this.verdicts.filter((v) => v.run)
    for (const role of new Set(running.map((v) => v.role))) {
      lines.push(...groupedLines(running.filter((v) => v.role === role), PLAIN).map((l) => this.paint.status('changed', fit(`  ${l}`, width))))
    }
    if (lines.length <= AFTER_PLAY_LINES) return lines
    return [...lines.slice(0, AFTER_PLAY_LINES - 1), `… ${lines.length - AFTER_PLAY_LINES + 1} more lines in the recap and --json`]
  }
}

// The terminal view: one Listr line per task of the current play, counts instead of host lines.
export function createLiveReporter(opts: LiveOptions): Reporter {
  const stream = opts.stream as NodeJS.WriteStream
  const paint = createPalette(opts.color)
  const size = (): ViewSize => ({ columns: opts.columns ?? stream.columns ?? 80, rows: opts.rows ?? stream.rows ?? 24 })
  let play: LivePlay | undefined
  let queue: Promise<void> = Promise.resolve()
  const later = (step: () => Promise<void> | void): void => {
    queue = queue.then(step)
  }

  return {
    event(e: RunEvent): void {
      if (e.type === 'play-start') {
        play?.end()
        const next = new LivePlay(e, size(), paint)
        play = next
        later(() => next.run(stream, opts.color))
      } else if (e.type === 'play-end') {
        play?.end()
        play = undefined
      } else if (play && e.type === 'role-selected') {
        play.verdicts.push(e)
      } else if (play) {
        for (const t of play.tally.apply(e, Date.now())) play.finished(t.ref.index)
      } else if (e.type === 'host-unreachable' || e.type === 'warn') {
        const line = e.type === 'warn'
          ? paint.warn(`[WARNING]: [${e.host}] ${oneLine(e.message)}`)
          : paint.status('unreachable', `unreachable: [${e.host}] => ${oneLine(e.message)}`)
        later(() => void stream.write(`${line}\n`))
      }
    },
    async finish(summary: RunSummary): Promise<void> {
      play?.end()
      play = undefined
      await queue
      await new Promise<void>((resolve) => stream.write(`\n${formatRecap(summary, opts.color)}`, () => resolve()))
    },
  }
}
