import type { Palette } from './palette.ts'
import { oneLine, plural } from './text.ts'

// --stale's verdicts (role-selected events) as lines people read: which host runs which role, and why.

export interface Verdict {
  host: string
  role: string
  run: boolean
  reason: string
}

// Up to this many hosts in a play, one line per host and role; above, identical verdicts are grouped
// so a room of 250 seats prints a handful of lines per role.
export const PER_HOST_LIMIT = 10
// Host names shown in a grouped line before "…".
const NAMES_SHOWN = 3

// `STALE [m5-01] kvm-module: kernel A → B` / `skip [m5-02] kvm-module: unchanged since run #4 (18:02)`.
export function verdictLine(v: Verdict, paint: Palette): string {
  return paint.status(v.run ? 'changed' : 'skipped', `${v.run ? 'STALE' : 'skip'} [${v.host}] ${v.role}: ${oneLine(v.reason)}`)
}

// The verdicts of one role, grouped by (runs?, reason), runs first, biggest group first:
// `skip kvm-module on 17 hosts (m5-01, m5-02, m5-03, …): unchanged since run #4 (18:02)`; a group of one
// keeps the per-host form.
export function groupedLines(verdicts: Verdict[], paint: Palette): string[] {
  const groups = new Map<string, Verdict[]>()
  for (const v of verdicts) {
    const key = `${v.role}\0${v.run}\0${oneLine(v.reason)}`
    groups.set(key, [...(groups.get(key) ?? []), v])
  }
  return [...groups.values()]
    .sort((a, b) => Number(b[0]!.run) - Number(a[0]!.run) || b.length - a.length)
    .map((group) => {
      const v = group[0]!
      if (group.length === 1) return verdictLine(v, paint)
      const names = group.slice(0, NAMES_SHOWN).map((g) => g.host).join(', ') + (group.length > NAMES_SHOWN ? ', …' : '')
      const text = `${v.run ? 'STALE' : 'skip'} ${v.role} on ${plural(group.length, 'host')} (${names}): ${oneLine(v.reason)}`
      return paint.status(v.run ? 'changed' : 'skipped', text)
    })
}

// One play's verdicts for the plain view: printed at once on a small play; on a big one held per role
// until the role's first task is over everywhere (every host has decided by then), then grouped.
export class SelectionLines {
  private readonly held = new Map<string, Verdict[]>()

  constructor(
    private readonly hostCount: number,
    private readonly paint: Palette,
  ) {}

  // The lines to print now for this verdict (none while it is held).
  add(v: Verdict): string[] {
    if (this.hostCount <= PER_HOST_LIMIT) return [verdictLine(v, this.paint)]
    this.held.set(v.role, [...(this.held.get(v.role) ?? []), v])
    return []
  }

  // The held verdicts of a role (all roles: undefined), grouped; forgets them.
  flush(role?: string): string[] {
    const roles = role === undefined ? [...this.held.keys()] : this.held.has(role) ? [role] : []
    return roles.flatMap((r) => {
      const lines = groupedLines(this.held.get(r)!, this.paint)
      this.held.delete(r)
      return lines
    })
  }
}

// The live view's line under a play: how many host × role pairs run and how many were left out.
export function selectionCount(verdicts: Verdict[]): string {
  const run = verdicts.filter((v) => v.run)
  const hosts = new Set(run.map((v) => v.host)).size
  return `stale: ${plural(run.length, 'role')} to run on ${plural(hosts, 'host')}, ${verdicts.length - run.length} unchanged (skipped)`
}
