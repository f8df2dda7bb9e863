import { VarError, type Vars } from 'labplay'

// A variable that cannot go into smb.conf (or the files beside it) throws the SDK's VarError, as the SDK's own
// readers (bool, list, the LDAP checks) do: the task that reads it fails with the message.

// NUL, line breaks and other control characters would end an smb.conf line early.
export const CONTROL = /[\x00-\x1f\x7f]/

// A string variable matching `pattern`; the message names the variable and shows what it got.
export function text(vars: Vars, name: string, pattern: RegExp, expected: string): string {
  const value = vars[name]
  if (typeof value !== 'string') throw new VarError(`${name}: expected ${expected}, got ${describe(value)}`)
  if (!pattern.test(value)) throw new VarError(`${name}: expected ${expected}, got ${JSON.stringify(value)}`)
  return value
}

export function oneOf(vars: Vars, name: string, allowed: string[]): string {
  const value = vars[name]
  if (typeof value !== 'string' || !allowed.includes(value)) {
    throw new VarError(`${name}: expected one of ${allowed.join(', ')}, got ${typeof value === 'string' ? JSON.stringify(value) : describe(value)}`)
  }
  return value
}

// A value's kind for messages, without the value itself when it may be long or secret.
export function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value)
  if (Array.isArray(value)) return 'a list'
  return typeof value === 'object' ? 'a mapping' : `${typeof value} ${JSON.stringify(value)}`
}
