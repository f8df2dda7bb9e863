import { spread, type Sample, type Spread } from './measure.ts'
import type { ProfileSummary } from './profile.ts'

const fmt = (x: number, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : '–')
// "median (min–max)": every cell of the tables, so the spread is never hidden.
export const cell = (s: Spread, digits = 2) => `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`

const metric = (samples: Sample[], pick: (s: Sample) => number) => spread(samples.map(pick))

// A markdown table from a header and rows; the one format every part of the report uses.
export function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => ' --- ').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n')
}

// Wall time, peak RSS (largest process and whole controller namespace) and CPU per tool, one row per N.
export function toolTable(byN: Map<number, Map<string, Sample[]>>): string {
  const rows: string[][] = []
  for (const [n, samples] of byN) {
    for (const [tool, s] of samples) {
      rows.push([String(n), tool, cell(metric(s, (x) => x.wallS)), cell(metric(s, (x) => x.cpuS)),
        cell(metric(s, (x) => x.rssMb), 0), cell(metric(s, (x) => x.treeRssMb), 0), String(s.length)])
    }
  }
  return table(['N', 'tool', 'wall s', 'controller CPU s (user+sys)', 'peak RSS MB (largest process)', 'peak RSS MB (all controller processes)', 'rounds'], rows)
}

// The ratios the targets are stated in, from medians of the wall times.
export function ratioTable(byN: Map<number, Map<string, Sample[]>>, pairs: Array<[string, string]>): string {
  const rows = [...byN].map(([n, samples]) => {
    const med = (tool: string) => spread((samples.get(tool) ?? []).map((s) => s.wallS)).median
    return [String(n), ...pairs.map(([a, b]) => `${fmt(med(a) / med(b))}×`)]
  })
  return table(['N', ...pairs.map(([a, b]) => `${a} / ${b}`)], rows)
}

// Where the time went in one profile, by area and by function.
export function profileTables(name: string, p: ProfileSummary): string {
  const areas = table(['area', 'self ms'], p.areas.slice(0, 10).map(([a, ms]) => [a, fmt(ms, 0)]))
  const fns = table(['function', 'self ms'], p.functions.map(([f, ms]) => [`\`${f}\``, fmt(ms, 1)]))
  return `**${name}** — profile of ${fmt(p.totalMs, 0)} ms (main thread):\n\n${areas}\n\n${fns}`
}
