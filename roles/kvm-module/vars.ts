import type { Host } from 'labplay'

// Variables arrive as YAML values or, from `-e k=v`, as strings: read them as Ansible's `| bool` and lists would.

export function bool(value: unknown, name: string, h: Host): boolean {
  if (typeof value === 'boolean') return value
  const text = String(value).trim().toLowerCase()
  if (['true', 'yes', 'on', '1'].includes(text)) return true
  if (['false', 'no', 'off', '0', ''].includes(text)) return false
  return h.fail(`${name}: expected true or false, got ${JSON.stringify(value)}`)
}

// Login names as useradd accepts them (plus '$' for machine accounts); never an option-like word.
const USER = /^[a-z_][a-z0-9_.-]*\$?$/i
// Debian package names, as dpkg accepts them.
const PACKAGE = /^[a-z0-9][a-z0-9+.-]*$/

export function userNames(value: unknown, name: string, h: Host): string[] {
  return names(value, name, USER, 'not a user name', h)
}

export function packageNames(value: unknown, name: string, h: Host): string[] {
  return names(value, name, PACKAGE, 'not a Debian package name', h)
}

// A YAML list, or a comma-separated string from the command line; empty is allowed.
function names(value: unknown, name: string, valid: RegExp, what: string, h: Host): string[] {
  const list = Array.isArray(value) ? value.map(String) : String(value ?? '').split(',')
  const found = list.map((n) => n.trim()).filter((n) => n !== '')
  const bad = found.filter((n) => !valid.test(n))
  if (bad.length > 0) h.fail(`${name}: ${what}: ${bad.map((n) => JSON.stringify(n)).join(', ')}`)
  return [...new Set(found)]
}
