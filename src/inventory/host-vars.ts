import { InputError } from '../errors.ts'
import type { Vars } from '../vars.ts'
import { groupDepths, groupHosts, hostGroups } from './groups.ts'
import type { Inventory } from './types.ts'

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

// Names Ansible answers with an implicit local host when the inventory does not list them.
export const IMPLICIT_LOCALHOST = ['localhost', '127.0.0.1', '::1']

// A host's inventory variables merged as Ansible's VariableManager does, lowest first: inline vars
// of `all`, inline vars of its other groups (parents before children, then ansible_group_priority,
// then name), group_vars/all, group_vars of the other groups in that order, inline host vars,
// host_vars; then the magic inventory_hostname, inventory_hostname_short, group_names and groups.
export function hostVars(inv: Inventory, host: string): Vars {
  const entry = inv.hosts.get(host)
  const all = inv.groups.get('all')
  if (!entry) {
    if (!IMPLICIT_LOCALHOST.includes(host)) throw new InputError(`host "${host}" is not in the inventory`)
    return { ...all?.vars, ...all?.fileVars, ansible_connection: 'local', ...magic(inv, host, []) }
  }
  const { depths } = derive(inv)
  const member = hostGroups(inv, host).filter((name) => name !== 'all')
  const sorted = member
    .map((name) => {
      const group = inv.groups.get(name)
      return { name, depth: depths.get(name) ?? 0, priority: group?.priority ?? 1, group }
    })
    .sort((a, b) => a.depth - b.depth || a.priority - b.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  const vars: Vars = { ...all?.vars }
  for (const { group } of sorted) Object.assign(vars, group?.vars)
  Object.assign(vars, all?.fileVars)
  for (const { group } of sorted) Object.assign(vars, group?.fileVars)
  Object.assign(vars, entry.vars, entry.fileVars)
  return Object.assign(vars, magic(inv, host, member))
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
