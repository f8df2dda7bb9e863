import type { Vars } from '../vars.ts'

// Variables are data: a key named `__proto__` or `constructor` must never reach an object's prototype.

// Own data only: `constructor`, `toString` and friends are not variables.
export function own(record: object, key: string): boolean {
  return Object.hasOwn(record, key)
}

// Assignment that stores `__proto__` as a plain key instead of swapping the prototype.
export function define(record: Vars, key: string, value: unknown): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true })
}

// Names a template can reach with `{{ name }}`; Ansible rejects the others too.
export function isVarName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name)
}
