import { formatBytes, formatDuration } from '../output/text.ts'

// How far a long read of a big file is (hashing 10–60 GB takes minutes): a bar on a terminal, a few plain
// lines when the output is a file or a pipe.

export interface ProgressState {
  done: number
  total: number
  // Bytes per second over the last few seconds; 0 until two samples exist.
  rate: number
}

// Where the progress goes: a terminal (isTTY, columns) or anything else.
export interface ProgressStream {
  write(text: string): unknown
  isTTY?: boolean
  columns?: number
}

// A terminal frame at most this often: more is flicker, and costs the hash its time.
const FRAME_MS = 100
// The rate is measured over this window, so the ETA follows a disk that slows down or a cache that runs out.
const WINDOW_MS = 5000
// Plain lines come at every tenth.
const STEPS = 10

// "[=========>          ]  45%  7.7 GB of 17.2 GB  412 MB/s  ETA 0:23", fitted to `columns`.
export function barLine(label: string, s: ProgressState, columns: number): string {
  const tail = `${percent(s).padStart(4)}  ${formatBytes(s.done)} of ${formatBytes(s.total)}  ${rateText(s.rate)}  ETA ${eta(s)}`
  const room = columns - 1 - label.length - tail.length - 5
  const width = Math.max(0, Math.min(40, room))
  if (width < 10) return `${label}  ${tail}`.slice(0, Math.max(0, columns - 1))
  const filled = s.total > 0 ? Math.floor((width * Math.min(s.done, s.total)) / s.total) : 0
  const bar = filled >= width ? '='.repeat(width) : `${'='.repeat(filled)}>${' '.repeat(width - filled - 1)}`
  return `${label} [${bar}] ${tail}`
}

// "hashing win11.qcow2: 40% (6.9 GB of 17.2 GB, 412 MB/s, ETA 0:25)".
export function plainLine(label: string, s: ProgressState): string {
  return `${label}: ${percent(s)} (${formatBytes(s.done)} of ${formatBytes(s.total)}, ${rateText(s.rate)}, ETA ${eta(s)})`
}

// "hashed win11.qcow2: 17.2 GB in 41.7s (412 MB/s)".
export function doneLine(label: string, total: number, elapsedMs: number): string {
  return `${label}: ${formatBytes(total)} in ${formatDuration(elapsedMs)} (${rateText(elapsedMs > 0 ? (total * 1000) / elapsedMs : 0)})`
}

// One long read's progress on `stream`. `update` is cheap to call per chunk; frames and lines are paced here.
export class Progress {
  private readonly started: number
  private readonly samples: Array<[number, number]> = []
  private lastFrame = -Infinity
  private step = 0
  private done = 0
  private readonly tty: boolean

  constructor(
    private readonly stream: ProgressStream,
    private readonly label: string,
    private readonly total: number,
    private readonly now: () => number = Date.now,
  ) {
    this.started = now()
    this.tty = stream.isTTY === true
    this.samples.push([this.started, 0])
    if (this.tty) this.frame(this.started)
    else stream.write(`${label} (${formatBytes(total)})\n`)
  }

  update(done: number): void {
    const t = this.now()
    this.done = done
    this.samples.push([t, done])
    while (this.samples.length > 2 && t - this.samples[0]![0] > WINDOW_MS) this.samples.shift()
    if (this.tty) {
      if (t - this.lastFrame >= FRAME_MS) this.frame(t)
      return
    }
    const step = this.total > 0 ? Math.floor((STEPS * Math.min(done, this.total)) / this.total) : STEPS
    if (step > this.step && step < STEPS) {
      this.step = step
      this.stream.write(`${plainLine(this.label, this.state())}\n`)
    }
  }

  // The last line, in place of the bar: `finishedLabel` says what was done ("hashed win11.qcow2").
  finish(finishedLabel: string): void {
    const line = doneLine(finishedLabel, this.done, this.now() - this.started)
    this.stream.write(this.tty ? `\r${line}\x1b[K\n` : `${line}\n`)
  }

  // Stopped short: the bar gives way to whatever is said next.
  abandon(): void {
    if (this.tty) this.stream.write('\r\x1b[K')
  }

  private frame(t: number): void {
    this.lastFrame = t
    this.stream.write(`\r${barLine(this.label, this.state(), this.stream.columns ?? 80)}\x1b[K`)
  }

  private state(): ProgressState {
    const [t0, b0] = this.samples[0]!
    const [t1, b1] = this.samples.at(-1)!
    return { done: this.done, total: this.total, rate: t1 > t0 ? ((b1 - b0) * 1000) / (t1 - t0) : 0 }
  }
}

function percent(s: ProgressState): string {
  return `${s.total > 0 ? Math.floor((100 * Math.min(s.done, s.total)) / s.total) : 100}%`
}

function rateText(bytesPerSecond: number): string {
  return `${(bytesPerSecond / 1e6).toFixed(bytesPerSecond >= 1e8 ? 0 : 1)} MB/s`
}

// m:ss, or h:mm:ss past an hour; --:-- until the rate is known.
function eta(s: ProgressState): string {
  if (s.done >= s.total) return '0:00'
  if (s.rate <= 0) return '--:--'
  const left = Math.ceil((s.total - s.done) / s.rate)
  const [h, m, sec] = [Math.floor(left / 3600), Math.floor((left % 3600) / 60), left % 60]
  const mm = h > 0 ? String(m).padStart(2, '0') : String(m)
  return `${h > 0 ? `${h}:` : ''}${mm}:${String(sec).padStart(2, '0')}`
}
