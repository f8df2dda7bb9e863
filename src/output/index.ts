import type { Writable } from 'node:stream'
import type { Reporter } from '../engine/events.ts'
import { createLiveReporter } from './live.ts'
import { createPlainReporter } from './plain.ts'
import { terminalData } from './terminal-text.ts'

export { formatRecap, formatSummaryLine } from './recap.ts'
export { writeJsonSummary } from './json.ts'
export { writeRetryFile } from './retry.ts'

export interface OutputOptions {
  stream: NodeJS.WriteStream | Writable
  // Live view only on a terminal.
  tty: boolean
  // The CLI decides: false with NO_COLOR set or no TTY.
  color: boolean
  // 0..3 (-v … -vvv).
  verbosity: number
  // Print diffs of changed files.
  diff: boolean
  // Terminal size; defaults to the stream's.
  columns?: number
  rows?: number
}

// The engine's single output sink: a live Listr view on a terminal, plain lines everywhere else
// (and on a terminal when -v or --diff ask for per-host lines a live view cannot hold). Every event and the
// summary cross terminalData on the way in: what a seat sent is shown, never obeyed.
export function createReporter(opts: OutputOptions): Reporter {
  const view = opts.tty && opts.verbosity === 0 && !opts.diff ? createLiveReporter(opts) : createPlainReporter(opts)
  return {
    event: (e) => view.event(terminalData(e)),
    finish: (summary) => view.finish(terminalData(summary)),
  }
}
