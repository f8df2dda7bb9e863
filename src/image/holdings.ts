import type { ImageHolding } from '../records/rows.ts'

// Which seats hold which version, from the run record (vm-image's h.state reports): pure, for `image list`
// and `image rollback`.

// What the record says of a group's seats for one version.
export interface Coverage {
  // Seats whose disk holds the version.
  holding: string[]
  // Seats reached by vm-image that do not hold it, with the version they run.
  lacking: Array<{ host: string; current: string | null }>
  // Seats vm-image never reported on.
  unknown: string[]
}

// `hosts` in their own order, split by what the record says of `version`.
export function coverage(version: string, hosts: string[], holdings: ImageHolding[]): Coverage {
  const byHost = new Map(holdings.map((h) => [h.host, h]))
  const out: Coverage = { holding: [], lacking: [], unknown: [] }
  for (const host of hosts) {
    const h = byHost.get(host)
    if (!h || (h.current === null && h.kept.length === 0)) out.unknown.push(host)
    else if (h.kept.includes(version)) out.holding.push(host)
    else out.lacking.push({ host, current: h.current })
  }
  return out
}

// Names to read on one line: up to `shown`, then how many more.
export function hostNames(hosts: string[], shown = 8): string {
  if (hosts.length <= shown) return hosts.join(', ')
  return `${hosts.slice(0, shown).join(', ')}, … (+${hosts.length - shown})`
}
