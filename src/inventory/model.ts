import { InputError, type Place } from '../errors.ts'
import type { Inventory, InventoryGroup, InventoryHost, Places } from './types.ts'
import { ancestors, hostGroups } from './groups.ts'
import { Vaulted } from '../vault/value.ts'

// Every inventory starts as Ansible's does: `all`, with `ungrouped` as its child.
export function emptyInventory(): Inventory {
  const inv: Inventory = { hosts: new Map(), groups: new Map(), varsDirs: { inventory: [], playbook: [] } }
  addGroup(inv, 'all')
  addGroup(inv, 'ungrouped')
  addChild(inv, 'all', 'ungrouped')
  return inv
}

// Declares a group (once); later declarations return the same group.
export function addGroup(inv: Inventory, name: string): InventoryGroup {
  let group = inv.groups.get(name)
  if (!group) {
    group = { name, vars: {}, places: {}, hosts: [], children: [], parents: [] }
    inv.groups.set(name, group)
  }
  return group
}

// At most this many hosts in one inventory: every host's vars hold the `groups` map, so far more would not fit in memory.
export const MAX_HOSTS = 100_000

// Declares a host and puts it in `group`; as in Ansible, a port counts only where the host first appears.
// Membership is checked on the host's own (short) group list, so loading stays linear in the number of hosts.
export function addHost(inv: Inventory, name: string, group: string, port?: number, place?: Place): InventoryHost {
  let host = inv.hosts.get(name)
  if (!host) {
    if (inv.hosts.size >= MAX_HOSTS) throw new InputError(`the inventory has more than ${MAX_HOSTS} hosts`, place)
    host = { name, vars: port === undefined ? {} : { ansible_port: port }, places: port === undefined || !place ? {} : { ansible_port: place }, groups: [] }
    inv.hosts.set(name, host)
  }
  const target = inv.groups.get(group)
  if (target && !host.groups.includes(group)) {
    target.hosts.push(name)
    host.groups.push(group)
  }
  return host
}

// Nests `child` under `parent`, refusing the loops Ansible refuses.
export function addChild(inv: Inventory, parent: string, child: string, place?: Place): void {
  const p = inv.groups.get(parent)
  const c = inv.groups.get(child)
  if (!p || !c || p.children.includes(child)) return
  if (parent === child || ancestors(inv, parent).has(child)) {
    throw new InputError(`group "${child}" cannot be a child of "${parent}": that makes a loop of groups`, place)
  }
  p.children.push(child)
  if (!c.parents.includes(parent)) c.parents.push(parent)
}

// Connection variables the engine reads as text (a number is taken as its digits).
const TEXT_VARS = ['ansible_host', 'ansible_ssh_host', 'ansible_user', 'ansible_ssh_user', 'ansible_become_user', 'ansible_become_method',
  'ansible_ssh_private_key_file', 'ansible_private_key_file', 'ansible_ssh_common_args', 'ansible_ssh_extra_args', 'ansible_ssh_args', 'ansible_connection']

// Refuses a bad ansible_port (or a list where text is expected) where the inventory sets it, rather than later
// at the play. Any ansible_connection is kept: a host labplay cannot drive (winrm…) fails only when a run targets it.
// A templated value ("{{ … }}") or an encrypted one is only known when the play runs, so it is left to the engine.
export function checkConnectionVar(owner: string, key: string, value: unknown, place?: Place): void {
  if ((typeof value === 'string' && value.includes('{{')) || value instanceof Vaulted) return
  if (key === 'ansible_port' || key === 'ansible_ssh_port') {
    const port = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new InputError(`${owner}: ${key} '${String(value)}' is not a port number`, place)
    }
  } else if (TEXT_VARS.includes(key) && value !== null && typeof value !== 'string' && typeof value !== 'number') {
    throw new InputError(`${owner}: ${key} must be a string, found ${Array.isArray(value) ? 'a list' : typeof value}`, place)
  }
}

// Sets a group var; `ansible_group_priority` is not a var but the group's merge priority.
export function setGroupVar(group: InventoryGroup, key: string, value: unknown, place?: Place): void {
  checkConnectionVar(`group ${group.name}`, key, value, place)
  if (key !== 'ansible_group_priority') {
    group.vars[key] = value
    if (place) group.places[key] = place
    return
  }
  const priority = typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value) ? Number(value) : value
  if (typeof priority !== 'number' || !Number.isFinite(priority)) {
    throw new InputError(`ansible_group_priority of group "${group.name}" must be a whole number`, place)
  }
  group.priority = Math.trunc(priority)
}

// Ansible's reconcile step once all sources are read: top-level groups become children of `all`,
// hosts with no other group land in `ungrouped`, and hosts with one leave it.
export function reconcile(inv: Inventory): void {
  for (const name of inv.groups.keys()) {
    if (name !== 'all' && ancestors(inv, name).size === 0) addChild(inv, 'all', name)
  }
  const ungrouped = inv.groups.get('ungrouped')
  if (!ungrouped) return
  for (const host of inv.hosts.values()) {
    const groups = hostGroups(inv, host.name)
    const others = groups.filter((g) => g !== 'all' && g !== 'ungrouped')
    if (groups.includes('ungrouped')) {
      if (others.length > 0 && host.groups.includes('ungrouped')) {
        ungrouped.hosts = ungrouped.hosts.filter((h) => h !== host.name)
        host.groups = host.groups.filter((g) => g !== 'ungrouped')
      }
    } else if (others.length === 0) {
      addHost(inv, host.name, 'ungrouped')
    }
  }
}

// Sets a host's inline vars, each with where it was written.
export function setHostVars(host: InventoryHost, vars: Record<string, unknown>, places: Places): void {
  Object.assign(host.vars, vars)
  Object.assign(host.places, places)
}
