import { list, type Host } from 'labplay'

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

// A list (the SDK's list(): a comma-separated string from the command line too); empty is allowed.
function names(value: unknown, name: string, valid: RegExp, what: string, h: Host): string[] {
  const found = list(value, name)
  const bad = found.filter((n) => !valid.test(n))
  if (bad.length > 0) h.fail(`${name}: ${what}: ${bad.map((n) => JSON.stringify(n)).join(', ')}`)
  return [...new Set(found)]
}
