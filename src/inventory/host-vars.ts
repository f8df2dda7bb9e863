import { InputError } from '../errors.ts'
import type { Vars } from '../vars.ts'
import { groupDepths, groupHosts, hostGroups } from './groups.ts'
import type { Inventory, VarsEntry } from './types.ts'
import { dirname, isAbsolute } from 'node:path'

// Derived once per inventory: queries come after loading, when the inventory no longer changes.
// `groups` is one frozen object that every host's vars share (a copy per host is quadratic in memory).
interface Derived {
  depths: Map<string, number>
  groups: Readonly<Record<string, readonly string[]>>
}
const derived = new WeakMap<Inventory, Derived>()

function derive(inv: Inventory): Derived {
  let d = derived.get(inv)
  if (!d) {
    const groups = Object.fromEntries([...inv.groups.keys()].map((name) => [name, Object.freeze(groupHosts(inv, name))]))
    d = { depths: groupDepths(inv), groups: Object.freeze(groups) }
    derived.set(inv, d)
  }
  return d
}

// After a source changed the groups (an inventory plugin adding hosts to groups), the derived maps are stale.
export function forgetDerived(inv: Inventory): void {
  derived.delete(inv)
}

// Names Ansible answers with an implicit local host when the inventory does not list them.
export const IMPLICIT_LOCALHOST = ['localhost', '127.0.0.1', '::1']

// A host's inventory variables merged as Ansible's VariableManager does, lowest first: inline vars
// of `all`, inline vars of its other groups (parents before children, then ansible_group_priority,
// then name), group_vars/all beside each inventory source then beside the playbook, the other groups'
// group_vars in the same order (folder by folder, groups in that order within each), inline host vars,
// host_vars beside the inventory, then beside the playbook; then the magic inventory_hostname,
// inventory_hostname_short, group_names, groups, inventory_file and inventory_dir.
export function hostVars(inv: Inventory, host: string): Vars {
  return hostVarsWithPlaces(inv, host).vars
}

// The same, with where each variable was written (magic variables have no place).
export function hostVarsWithPlaces(inv: Inventory, host: string): VarsEntry {
  const entry = inv.hosts.get(host)
  const all = inv.groups.get('all')
  const out: VarsEntry = { vars: {}, places: {} }
  const add = (layer: VarsEntry | undefined) => {
    if (!layer) return
    Object.assign(out.vars, layer.vars)
    Object.assign(out.places, layer.places)
  }
  const dirs = [...inv.varsDirs.inventory, ...inv.varsDirs.playbook]
  if (!entry) {
    if (!IMPLICIT_LOCALHOST.includes(host)) throw new InputError(`host "${host}" is not in the inventory`)
    add(all)
    for (const dir of dirs) add(dir.groups.get('all'))
    add({ vars: { ansible_connection: 'local', ...magic(inv, host, []) }, places: {} })
    return out
  }
  const { depths } = derive(inv)
  const member = hostGroups(inv, host).filter((name) => name !== 'all')
  const sorted = member
    .map((name) => {
      const group = inv.groups.get(name)
      return { name, depth: depths.get(name) ?? 0, priority: group?.priority ?? 1, group }
    })
    .sort((a, b) => a.depth - b.depth || a.priority - b.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  add(all)
  for (const { group } of sorted) add(group)
  for (const dir of dirs) add(dir.groups.get('all'))
  for (const dir of inv.varsDirs.inventory) for (const { name } of sorted) add(dir.groups.get(name))
  for (const dir of inv.varsDirs.playbook) for (const { name } of sorted) add(dir.groups.get(name))
  add(entry)
  for (const dir of dirs) add(dir.hosts.get(host))
  add({ vars: { ...magic(inv, host, member), ...sourceVars(entry.source) }, places: {} })
  return out
}

// The magic `groups`: every group's hosts, one frozen object shared by all hosts.
export function groupsVar(inv: Inventory): Readonly<Record<string, readonly string[]>> {
  return derive(inv).groups
}

function magic(inv: Inventory, host: string, member: string[]): Vars {
  const address = /^[\d.]+$/.test(host) || host.includes(':')
  return {
    inventory_hostname: host,
    inventory_hostname_short: address ? host : host.split('.')[0],
    group_names: [...member].sort(),
    groups: derive(inv).groups,
  }
}

// Ansible's inventory_file and inventory_dir: the source's path and folder (a host list has no folder).
function sourceVars(source: string | undefined): Vars {
  if (source === undefined) return {}
  const list = !isAbsolute(source)
  return { inventory_file: source, inventory_dir: list ? null : dirname(source) }
}
