import { Chalk, type ChalkInstance } from 'chalk'
import type { HostStatus } from '../engine/events.ts'

// Ansible's colours (green ok, yellow changed, red failed, bright red unreachable, cyan
// skipped, bright purple warnings) so a glance reads the same as users' old runs.
export interface Palette {
  status(status: HostStatus, text: string): string
  warn(text: string): string
  dim(text: string): string
  bold(text: string): string
  diffLine(line: string): string
}

// One place decides colour: with color=false every function is the identity, no ANSI at all.
export function createPalette(color: boolean): Palette {
  const c: ChalkInstance = new Chalk({ level: color ? 1 : 0 })
  const byStatus: Record<HostStatus, (s: string) => string> = {
    ok: c.green,
    changed: c.yellow,
    failed: c.red,
    skipped: c.cyan,
    unreachable: c.redBright,
  }
  return {
    status: (status, text) => byStatus[status](text),
    warn: c.magentaBright,
    dim: c.dim,
    bold: c.bold,
    diffLine: (line) =>
      line.startsWith('+++') || line.startsWith('---') ? c.bold(line)
      : line.startsWith('+') ? c.green(line)
      : line.startsWith('-') ? c.red(line)
      : line.startsWith('@@') ? c.cyan(line)
      : line,
  }
}
