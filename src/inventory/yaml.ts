import { InputError, type Place } from '../errors.ts'
import { parseAddress } from './address.ts'
import { addChild, addGroup, addHost, checkConnectionVar, setGroupVar, setHostVars } from './model.ts'
import { expandHostRange } from './ranges.ts'
import type { Inventory, Places } from './types.ts'
import { plain, type Located } from './yaml-source.ts'

const MAX_DEPTH = 100
const SECTIONS = ['hosts', 'vars', 'children']

// Reads a YAML inventory (`all: {hosts, vars, children}`, any group at the top) into `inv` as
// Ansible's yaml plugin does. Where Ansible warns and skips (a group that is not a mapping, an
// unknown key), this refuses with the place, since the author surely meant something else.
export function parseYamlInventory(root: Located, inv: Inventory): void {
  if (root.kind !== 'map' || root.entries.length === 0) {
    throw new InputError('a YAML inventory must be a mapping of group names (e.g. all:) to {hosts, vars, children}', root.place)
  }
  for (const { key, place, value } of root.entries) parseGroup(inv, groupName(key, place), value, 0)
}

function parseGroup(inv: Inventory, name: string, node: Located, depth: number): string {
  if (depth > MAX_DEPTH) throw new InputError(`groups are nested more than ${MAX_DEPTH} levels deep under children:`, node.place)
  if (node.kind === 'value' && node.value !== null) {
    throw new InputError(`group "${name}" must be a mapping with hosts, vars or children (or empty)`, node.place)
  }
  const group = addGroup(inv, name)
  if (node.kind === 'value') return name
  for (const { key, place, value } of node.entries) {
    const section = String(key)
    if (!SECTIONS.includes(section)) {
      throw new InputError(`unexpected key "${section}" in group "${name}": expected hosts, vars or children`, place)
    }
    const entries = sectionEntries(value, section, name)
    if (section === 'vars') {
      for (const entry of entries) setGroupVar(group, String(entry.key), plain(entry.value), entry.place)
    } else if (section === 'children') {
      for (const entry of entries) {
        const child = parseGroup(inv, groupName(entry.key, entry.place), entry.value, depth + 1)
        addChild(inv, name, child, entry.place)
      }
    } else {
      for (const entry of entries) parseHost(inv, name, entry.key, entry.place, entry.value)
    }
  }
  return name
}

// A section's entries; like Ansible, a bare string stands for one name with no value.
function sectionEntries(node: Located, section: string, group: string): { key: unknown; place: Place; value: Located }[] {
  if (node.kind === 'map') return node.entries
  if (node.value === null) return []
  if (typeof node.value === 'string') return [{ key: node.value, place: node.place, value: { kind: 'value', place: node.place, value: null } }]
  throw new InputError(`"${section}" of group "${group}" must be a mapping, found ${describe(node.value)}`, node.place)
}

function parseHost(inv: Inventory, group: string, key: unknown, place: Place, node: Located): void {
  if (typeof key !== 'string' || key === '') {
    throw new InputError(`host name ${JSON.stringify(key)} in group "${group}" must be a non-empty string (quote numbers)`, place)
  }
  const vars = plain(node) ?? {}
  if (typeof vars !== 'object' || Array.isArray(vars)) {
    throw new InputError(`vars of host "${key}" must be a mapping of names to values, found ${describe(vars)}`, node.place)
  }
  const places: Places = {}
  if (node.kind === 'map') {
    for (const entry of node.entries) {
      checkConnectionVar(`host ${key}`, String(entry.key), plain(entry.value), entry.place)
      places[String(entry.key)] = entry.place
    }
  }
  const address = parseAddress(key, true)
  for (const name of expandHostRange(address?.host ?? key, place)) {
    setHostVars(addHost(inv, name, group, address?.port, place), vars as Record<string, unknown>, places)
  }
}

function groupName(key: unknown, place: Place): string {
  if (typeof key !== 'string' || key === '') {
    throw new InputError(`group name ${JSON.stringify(key)} must be a non-empty string`, place)
  }
  return key
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list'
  return value === null ? 'nothing' : `a ${typeof value}`
}
