import type { HostSummary, RunSummary } from '../engine/events.ts'
import { createPalette, type Palette } from './palette.ts'
import { formatDuration, oneLine, plural } from './text.ts'

// Ansible prints the banner to max(79, terminal width - 1) columns; logs and pipes see 79,
// which is what scripts parsing a recap have always seen.
const BANNER_COLUMNS = 79

type HostState = 'failed' | 'unreachable' | 'changed' | 'ok'

const stateOf = (h: HostSummary): HostState =>
  h.unreachable > 0 ? 'unreachable' : h.failed > 0 ? 'failed' : h.changed > 0 ? 'changed' : 'ok'

// Python's sorted() on str: code point order, which is what ansible-playbook uses for the recap.
const byCodePoint = (a: HostSummary, b: HostSummary): number => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0)

// Ansible's `%s=%-4s`, coloured only when non-zero, like utils/color.py colorize().
function field(key: string, n: number, paint: Palette, status: Parameters<Palette['status']>[0] | 'warn'): string {
  const text = `${key}=${String(n).padEnd(4)}`
  if (n === 0) return text
  return status === 'warn' ? paint.warn(text) : paint.status(status, text)
}

// One recap line, byte for byte Ansible's v2_playbook_on_stats (rescued and ignored are always 0 here).
function recapLine(h: HostSummary, paint: Palette): string {
  const state = stateOf(h)
  const host = paint.status(state === 'unreachable' ? 'failed' : state, h.host.padEnd(26))
  return `${host} : ${[
    field('ok', h.ok, paint, 'ok'),
    field('changed', h.changed, paint, 'changed'),
    field('unreachable', h.unreachable, paint, 'unreachable'),
    field('failed', h.failed, paint, 'failed'),
    field('skipped', h.skipped, paint, 'skipped'),
    field('rescued', 0, paint, 'ok'),
    field('ignored', 0, paint, 'warn'),
  ].join(' ')}`
}

// Warnings grouped by message, every host named: "reboot pending" on 250 hosts is one line.
function warningLines(summary: RunSummary, paint: Palette): string[] {
  const hostsBy = new Map<string, string[]>()
  for (const h of summary.hosts) {
    for (const w of new Set(h.warnings.map(oneLine))) hostsBy.set(w, [...(hostsBy.get(w) ?? []), h.host])
  }
  return [...hostsBy].map(([w, hosts]) =>
    paint.warn(`[WARNING]: ${w}: ${hosts.join(', ')}${hosts.length > 1 ? ` (${hosts.length} hosts)` : ''}`))
}

// The line people read first: host counts by outcome and the wall time.
export function formatSummaryLine(summary: RunSummary, color: boolean): string {
  const paint = createPalette(color)
  const count = { ok: 0, changed: 0, failed: 0, unreachable: 0 }
  for (const h of summary.hosts) {
    const state = stateOf(h)
    if (state === 'changed') count.changed++
    if (state === 'changed' || state === 'ok') count.ok++
    else count[state]++
  }
  const paintIf = (n: number, status: 'failed' | 'unreachable', text: string): string => (n ? paint.status(status, text) : text)
  const flags = [summary.check ? ' (check mode)' : '', summary.interrupted ? ' (interrupted)' : ''].join('')
  return `${plural(summary.hosts.length, 'host')}: ${paint.status('ok', `${count.ok} ok`)} (${count.changed} changed), ` +
    `${paintIf(count.failed, 'failed', `${count.failed} failed`)}, ` +
    `${paintIf(count.unreachable, 'unreachable', `${count.unreachable} unreachable`)} ` +
    `in ${formatDuration(summary.durationMs)}${flags}`
}

// End of every run: warnings, Ansible's PLAY RECAP exactly as scripts parse it, then the summary line.
export function formatRecap(summary: RunSummary, color: boolean): string {
  const paint = createPalette(color)
  const warnings = warningLines(summary, paint)
  const banner = `PLAY RECAP ${'*'.repeat(BANNER_COLUMNS - 'PLAY RECAP'.length)}`
  const lines = [
    ...(warnings.length ? [...warnings, ''] : []),
    banner,
    ...[...summary.hosts].sort(byCodePoint).map((h) => recapLine(h, paint)),
    '',
    formatSummaryLine(summary, color),
  ]
  return `${lines.join('\n')}\n`
}
