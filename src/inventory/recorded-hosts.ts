import { InputError } from '../errors.ts'
import { shortPattern } from './matcher.ts'
import { addHost, emptyInventory, reconcile } from './model.ts'
import { selectHosts } from './patterns.ts'
import type { Inventory } from './types.ts'

// The hosts a reader of the run record (history, show, report) shows: `-l` means what it means to a run,
// so it is resolved against the inventory (groups, globs, ~regex, !exclusions, @file). Recorded hosts the inventory no longer lists are added
// as ungrouped, so their names and globs still match; with no inventory at all, only those remain.
// Inventory hosts no run ever reached are shown too (as "never run") when the pattern names them.
export function hostSelector(inventory: Inventory | undefined, pattern: string | undefined, cwd: string): (recorded: string[]) => string[] {
  return (recorded) => {
    const inv = inventory ? withHosts(inventory, recorded) : withHosts(emptyInventory(), recorded)
    if (!pattern) return inventory ? selectHosts(inv, 'all', { cwd }) : recorded
    const hosts = selectHosts(inv, pattern, { cwd })
    if (hosts.length === 0) throw new InputError(`-l "${shortPattern(pattern)}" matches no host of the inventory or of the run records`)
    return hosts
  }
}

function withHosts(base: Inventory, recorded: string[]): Inventory {
  const inv: Inventory = {
    hosts: new Map([...base.hosts].map(([k, h]) => [k, { ...h, groups: [...h.groups] }])),
    groups: new Map([...base.groups].map(([k, g]) => [k, { ...g, hosts: [...g.hosts], children: [...g.children], parents: [...g.parents] }])),
    varsDirs: base.varsDirs,
  }
  for (const host of recorded) if (!inv.hosts.has(host)) addHost(inv, host, 'ungrouped')
  reconcile(inv)
  return inv
}
