import { Redactor } from '../engine/redact.ts'
import { SECRET_NAME } from '../vars.ts'
import { InputError } from '../errors.ts'
import { Vaulted } from '../vault/value.ts'
import type { Vars } from '../vars.ts'
import { hostVars } from './host-vars.ts'
import { selectHosts } from './patterns.ts'
import type { Inventory } from './types.ts'

// What ansible-inventory leaves out of a host's vars (InventoryCLI._remove_internal): labplay's magic ones.
const INTERNAL = ['inventory_file', 'inventory_dir', 'inventory_hostname', 'inventory_hostname_short', 'groups', 'group_names']

// `--host H`: the host's variables as ansible-inventory --host prints them (unrendered, extra vars on top).
export function showHost(inv: Inventory, pattern: string, extraVars: Vars, cwd: string): string {
  const hosts = selectHosts(inv, pattern, { cwd })
  if (hosts.length !== 1) throw new InputError(`--host ${JSON.stringify(pattern)} matches ${hosts.length} hosts, expected a single host of the inventory`)
  return dump(inventoryVars(inv, hosts[0]!, extraVars))
}

// `--list`: ansible-inventory's JSON (every group with its own hosts and children, `_meta.hostvars`).
export function showList(inv: Inventory, extraVars: Vars): string {
  const out: Record<string, unknown> = {}
  const seen = new Set<string>()
  const visit = (name: string): void => {
    const group = inv.groups.get(name)!
    const entry: Record<string, unknown> = {}
    if (name !== 'all' && group.hosts.length) entry.hosts = [...group.hosts]
    if (group.children.length) entry.children = [...group.children]
    if (Object.keys(entry).length) out[name] = entry
    for (const child of group.children) {
      if (seen.has(child)) continue
      seen.add(child)
      visit(child)
    }
  }
  visit('all')
  const hostvars: Record<string, Vars> = {}
  for (const host of inv.hosts.keys()) {
    const vars = inventoryVars(inv, host, extraVars)
    if (Object.keys(vars).length) hostvars[host] = vars
  }
  out._meta = { hostvars }
  return dump(out)
}

// `--graph [GROUP]`: ansible-inventory's tree, `--vars` adding each host's and group's variables.
// `playbookGroupVars`: a group's variables include the playbook folder's group_vars (--playbook-dir given).
export function showGraph(inv: Inventory, group: string, show: { vars: boolean; playbookGroupVars: boolean }, extraVars: Vars): string {
  const withVars = show.vars
  if (!inv.groups.has(group)) throw new InputError(`--graph ${JSON.stringify(group)}: expected the name of a group of the inventory`)
  const masked = new Redactor()
  const lines: string[] = []
  const line = (text: string, depth: number) => lines.push(depth ? `${'  |'.repeat(depth)}--${text}` : text)
  const vars = (values: Vars, depth: number) => {
    for (const [name, value] of Object.entries(values).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (SECRET_NAME.test(name)) addLiteral(masked, value)
      line(`{${name} = ${masked.text(pyText(value instanceof Vaulted ? value.reveal() : value))}}`, depth)
    }
  }
  const walk = (name: string, depth: number) => {
    line(`@${name}:`, depth)
    const g = inv.groups.get(name)!
    for (const child of g.children) walk(child, depth + 1)
    if (name !== 'all') {
      for (const host of g.hosts) {
        line(host, depth + 1)
        if (withVars) vars(inventoryVars(inv, host, extraVars), depth + 2)
      }
    }
    if (withVars) vars(groupVars(inv, name, show.playbookGroupVars), depth + 1)
  }
  walk(group, 0)
  return `${lines.join('\n')}\n`
}

// A group's own variables as ansible-inventory shows them: inline, then group_vars/ beside each source and the playbook.
function groupVars(inv: Inventory, name: string, withPlaybook: boolean): Vars {
  const group = inv.groups.get(name)!
  const vars: Vars = { ...group.vars }
  for (const dir of [...inv.varsDirs.inventory, ...(withPlaybook ? inv.varsDirs.playbook : [])]) Object.assign(vars, dir.groups.get(name)?.vars)
  if (group.priority !== undefined && group.priority !== 1) vars.ansible_group_priority = group.priority
  return vars
}

function inventoryVars(inv: Inventory, host: string, extraVars: Vars): Vars {
  const vars = { ...hostVars(inv, host), ...extraVars }
  for (const name of INTERNAL) delete vars[name]
  return vars
}

// Python's json.dumps(sort_keys=True, indent=4), as ansible-inventory prints; secrets masked (a `*_password`
// written in clear, a value decrypted from an encrypted file), `!vault` values as {"__ansible_vault": …}.
function dump(value: unknown): string {
  const masked = new Redactor()
  const data = JSON.parse(JSON.stringify(value)) as unknown
  collectSecrets(data, '', masked)
  return `${JSON.stringify(sortKeys(masked.value(data)), null, 4)}\n`
}

function collectSecrets(value: unknown, name: string, masked: Redactor): void {
  if (name && SECRET_NAME.test(name)) addLiteral(masked, value)
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) collectSecrets(v, Array.isArray(value) ? '' : k, masked)
}

// A secret-named value written in clear is masked; a template is not a secret (its rendered value would be).
function addLiteral(masked: Redactor, value: unknown): void {
  if (typeof value === 'number' || (typeof value === 'string' && !value.includes('{{'))) masked.add(value)
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value && typeof value === 'object') {
    const keys = Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    return Object.fromEntries(keys.map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]))
  }
  return value
}

// str() of a value in Python, as --graph --vars shows it.
function pyText(value: unknown): string {
  return typeof value === 'string' ? value : pyRepr(value)
}

function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None'
  if (value === true) return 'True'
  if (value === false) return 'False'
  if (typeof value === 'number') return String(value)
  if (typeof value === 'string') return value.includes("'") && !value.includes('"') ? `"${value}"` : `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`
  if (typeof value === 'object') return `{${Object.entries(value).map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`).join(', ')}}`
  return String(value)
}
