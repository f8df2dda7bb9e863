import type { Inventory } from './types.ts'

// Every group above `group` (parents, their parents, …); loops are refused when edges are added.
export function ancestors(inv: Inventory, group: string): Set<string> {
  const seen = new Set<string>()
  let level = inv.groups.get(group)?.parents ?? []
  while (level.length > 0) {
    const next: string[] = []
    for (const name of level) {
      if (seen.has(name)) continue
      seen.add(name)
      next.push(...(inv.groups.get(name)?.parents ?? []))
    }
    level = next
  }
  return seen
}

// The groups a host belongs to, directly or through a parent group (Ansible's host.get_groups()).
export function hostGroups(inv: Inventory, host: string): string[] {
  const out = new Set<string>()
  for (const group of inv.hosts.get(host)?.groups ?? []) {
    for (const above of ancestors(inv, group)) out.add(above)
    out.add(group)
  }
  return [...out]
}

// The hosts of a group in Ansible's order: the group's own hosts, then those of its children,
// then grandchildren, level by level (Group.get_hosts). Where Ansible walks a level as a Python
// set, whose order depends on memory addresses, this walks it in declaration order.
export function groupHosts(inv: Inventory, group: string): string[] {
  const start = inv.groups.get(group)
  if (!start) return []
  const ordered = [group, ...start.children]
  const seen = new Set<string>()
  let level = ordered
  while (level.length > 0) {
    for (const name of level) seen.add(name)
    const next: string[] = []
    for (const name of level) {
      for (const child of inv.groups.get(name)?.children ?? []) {
        next.push(child)
        if (!seen.has(child)) ordered.push(child)
      }
    }
    level = [...new Set(next)].filter((name) => !seen.has(name))
  }
  const hosts = new Set<string>()
  for (const name of ordered) for (const host of inv.groups.get(name)?.hosts ?? []) hosts.add(host)
  return [...hosts]
}

// Each group's depth below `all` along its longest path, which orders group vars (parents first).
export function groupDepths(inv: Inventory): Map<string, number> {
  const depth = new Map<string, number>()
  const waiting = new Map<string, number>()
  const ready: string[] = []
  for (const group of inv.groups.values()) {
    waiting.set(group.name, group.parents.length)
    if (group.parents.length === 0) ready.push(group.name)
  }
  for (let i = 0; i < ready.length; i++) {
    const name = ready[i] ?? ''
    const here = depth.get(name) ?? 0
    for (const child of inv.groups.get(name)?.children ?? []) {
      depth.set(child, Math.max(depth.get(child) ?? 0, here + 1))
      const left = (waiting.get(child) ?? 1) - 1
      waiting.set(child, left)
      if (left === 0) ready.push(child)
    }
  }
  return depth
}
