import { StepError } from './outcome.ts'

// Variables arrive as YAML values or, from `-e k=v` and INI inventories, as strings: a role reads its
// switches and lists with bool() and list(), so every role (and the engine, and `| bool`) reads them alike.

// Ansible's truth table (boolean() in module_utils/parsing/convert_bool.py): strings compare in lower case,
// untrimmed; 1.0 and 0.0 are 1 and 0 here.
export const BOOLEANS_TRUE: readonly unknown[] = ['y', 'yes', 'on', '1', 'true', 't', 1, true]
export const BOOLEANS_FALSE: readonly unknown[] = ['n', 'no', 'off', '0', 'false', 'f', 0, false]

// A variable that cannot mean what its role needs: the task fails with the message, which names it.
export class VarError extends StepError {}

// true or false by the table, undefined for anything else (`| bool` reads that as false, as Ansible's does).
export function booleanOf(value: unknown): boolean | undefined {
  const key = typeof value === 'string' ? value.toLowerCase() : value
  if (BOOLEANS_TRUE.includes(key)) return true
  if (BOOLEANS_FALSE.includes(key)) return false
  return undefined
}

// A switch: true or false by the table, anything else (an empty string, null, "maybe") an error.
export function bool(value: unknown, name: string): boolean {
  const b = booleanOf(value)
  if (b === undefined) throw new VarError(`${name}: expected true or false (yes/no, on/off, y/n, t/f, 1/0), got ${shown(value)}`)
  return b
}

// A list of words: a YAML list as it is (strings, numbers or booleans); a string is split at commas, as
// Ansible's list type splits one, each item trimmed and empty ones dropped ("" and null, YAML's empty value,
// are the empty list); a number is a list of one. Anything else is an error naming the variable (or its item).
export function list(value: unknown, name: string): string[] {
  if (value === null) return []
  if (typeof value === 'string') return value.split(',').map((item) => item.trim()).filter((item) => item !== '')
  if (typeof value === 'number') return [String(value)]
  if (!Array.isArray(value)) throw new VarError(`${name}: expected a list (or a comma-separated string), got ${shown(value)}`)
  return value.map((item: unknown, i) => {
    if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') return String(item)
    throw new VarError(`${name}[${i}]: expected a string, got ${shown(item)}`)
  })
}

// A variable's value as an error message shows it: short JSON, a list or a mapping by its kind.
export function shown(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (Array.isArray(value)) return 'a list'
  if (value !== null && typeof value === 'object') return 'a mapping'
  const s = JSON.stringify(value) ?? String(value)
  return s.length > 80 ? `${s.slice(0, 77)}...` : s
}
