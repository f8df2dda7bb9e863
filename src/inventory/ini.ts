import { InputError, type Place } from '../errors.ts'
import { parseAddress } from './address.ts'
import { parseIniValue } from './literal.ts'
import { addChild, addGroup, addHost, checkConnectionVar, setGroupVar, setHostVars } from './model.ts'
import { expandHostRange } from './ranges.ts'
import { shlexSplit } from './shlex.ts'
import type { Inventory, Places } from './types.ts'

const SECTION = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$/
const GROUP_NAME = /^([^:\]\s]+)\s*(?:#.*)?$/

interface Pending {
  place: Place
  state: 'vars' | 'children'
  parents: string[]
}

// Reads an INI inventory into `inv` the way Ansible's ini plugin does: lines before any section
// are ungrouped hosts, `[g]` hosts, `[g:vars]` key=value, `[g:children]` group names; a group named
// under :children or :vars must be declared by its own [g] or [g:children] somewhere in the file.
export function parseIni(text: string, file: string, inv: Inventory): void {
  const pending = new Map<string, Pending>()
  let group = 'ungrouped'
  let state = 'hosts'
  const lines = text.split(/\r\n|\r|\n/)
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim()
    if (!line || line.startsWith('#') || line.startsWith(';')) continue
    const place: Place = { file, line: index + 1, col: raw.indexOf(line.charAt(0)) + 1 }
    const section = SECTION.exec(line)
    if (section) {
      group = section[1] ?? ''
      state = section[2] ?? 'hosts'
      if (!['hosts', 'children', 'vars'].includes(state)) {
        throw new InputError(`section [${group}:${state}] has an unknown type "${state}": expected [${group}], [${group}:vars] or [${group}:children]`, place)
      }
      if (!inv.groups.has(group) && state === 'vars' && !pending.has(group)) {
        pending.set(group, { place, state: 'vars', parents: [] })
      }
      addGroup(inv, group)
      const waiting = pending.get(group)
      if (waiting && state !== 'vars') {
        if (waiting.state === 'children') declarePending(inv, group, pending)
        else pending.delete(group)
      }
      continue
    }
    if (line.startsWith('[') && line.endsWith(']')) {
      throw new InputError(`bad section header ${line}: expected [group], [group:vars] or [group:children] with no spaces`, place)
    }
    if (state === 'hosts') parseHostLine(line, group, place, inv)
    else if (state === 'vars') {
      const eq = line.indexOf('=')
      if (eq < 0) throw new InputError(`expected key=value in [${group}:vars], got "${line}"`, place)
      setGroupVar(addGroup(inv, group), line.slice(0, eq).trim(), parseIniValue(line.slice(eq + 1).trim()), place)
    } else {
      const child = GROUP_NAME.exec(line)?.[1]
      if (child === undefined) throw new InputError(`expected a group name in [${group}:children], got "${line}"`, place)
      if (inv.groups.has(child)) addChild(inv, group, child, place)
      else {
        const waiting = pending.get(child)
        if (waiting) waiting.parents.push(group)
        else pending.set(child, { place, state: 'children', parents: [group] })
      }
    }
  }
  for (const [name, waiting] of pending) {
    throw new InputError(
      waiting.state === 'vars'
        ? `section [${name}:vars] is for a group that is never declared: expected a [${name}] or [${name}:children] section too`
        : `[${waiting.parents.at(-1)}:children] names group "${name}", which is never declared: expected a [${name}] or [${name}:children] section`,
      waiting.place,
    )
  }
}

function declarePending(inv: Inventory, group: string, pending: Map<string, Pending>): void {
  const todo = [group]
  for (let name = todo.pop(); name !== undefined; name = todo.pop()) {
    const waiting = pending.get(name)
    pending.delete(name)
    for (const parent of waiting?.parents ?? []) {
      addChild(inv, parent, name, waiting?.place)
      if (pending.get(parent)?.state === 'children') todo.push(parent)
    }
  }
}

function parseHostLine(line: string, group: string, place: Place, inv: Inventory): void {
  const words = shlexSplit(line)
  if (!Array.isArray(words)) throw new InputError(`cannot read host line "${line}": ${words.error}`, place)
  const [pattern = '', ...assignments] = words
  if (pattern === '') throw new InputError(`expected a host name at the start of "${line}"`, place)
  const address = parseAddress(pattern, true)
  if (!address && pattern.endsWith(':')) {
    throw new InputError(`bad host "${pattern}": expected a port number after ":"`, place)
  }
  const names = expandHostRange(address?.host ?? pattern, place)
  if (names.some((name) => name.trim() === '---')) {
    throw new InputError(`bad host "${pattern}": "---" starts a YAML document; give YAML inventories a .yml name`, place)
  }
  const vars: Record<string, unknown> = {}
  const places: Places = {}
  for (const word of assignments) {
    const eq = word.indexOf('=')
    const at = { ...place, col: (place.col ?? 1) + Math.max(0, line.indexOf(word)) }
    if (eq < 0) throw new InputError(`expected key=value host variable after "${pattern}", got "${word}"`, at)
    const key = word.slice(0, eq)
    vars[key] = parseIniValue(word.slice(eq + 1))
    places[key] = at
    checkConnectionVar(`host ${pattern}`, key, vars[key], at)
  }
  for (const name of names) setHostVars(addHost(inv, name, group, address?.port, place), vars, places)
}
