import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import type { Facts } from '../sdk/facts.types.ts'
import type { RoleDefinition } from '../sdk/role.ts'
import { SECRET_NAME, type Vars } from '../vars.ts'

// What a role's outcome on a host depends on, as plain JSON: `--stale` reruns a role when this differs
// from what it was at the role's last success there. `code`: the role's source; `vars`: its resolved
// variables (secrets by name only); then whatever the role declares with `inputs` (kernel…).
export type RoleInputs = { code: string; vars: Vars } & Record<string, unknown>

// sha256 of a role folder's files (names and contents, in a fixed order): any edit of the role's code or
// of a file it ships changes it; its Markdown (documentation) does not. Hidden files and node_modules are left out.
export function roleCodeHash(dir: string): string {
  const hash = createHash('sha256')
  const files = readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && !e.name.endsWith('.md'))
    .map((e) => join(e.parentPath, e.name))
    .filter((file) => !relative(dir, file).split(sep).some((part) => part.startsWith('.') || part === 'node_modules'))
    .sort()
  for (const file of files) hash.update(`${relative(dir, file).split(sep).join('/')}\0`).update(readFileSync(file)).update('\0')
  return hash.digest('hex')
}

// A secret's stand-in in the inputs: a constant. The record never holds a secret, not even a digest (a
// digest of a short password can be guessed offline), so a changed password alone does not make a role
// stale: after rotating one, run without --stale (README).
export const SECRET_INPUT = '(secret, not recorded)'

// A deep copy where every value under a secret-named key (at any depth) is SECRET_INPUT.
export function maskSecrets<T>(value: T, name = ''): T {
  if (name && SECRET_NAME.test(name)) return SECRET_INPUT as T
  if (Array.isArray(value)) return value.map((v) => maskSecrets(v)) as T
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskSecrets(v, k)])) as T
  return value
}

// The inputs of one role on one host. Its variables are those it declares in `defaults` (a host's vars also
// carry every inventory and extra variable, ansible_host…, which are not the role's business: a new image
// manifest must not rerun samba). Throws what the role's own `inputs` throws: the caller decides (the
// engine then runs the role, as it cannot tell whether anything changed).
export function roleInputs(role: Pick<RoleDefinition<Vars>, 'inputs' | 'defaults'>, code: string, vars: Vars, facts: Facts | undefined): RoleInputs {
  const own = Object.fromEntries(Object.keys(role.defaults).filter((k) => k in vars).map((k) => [k, vars[k]]))
  const custom = role.inputs && facts ? role.inputs({ facts, vars }) : {}
  if (custom === null || typeof custom !== 'object' || Array.isArray(custom)) throw new Error('inputs(): expected an object')
  if ('code' in custom || 'vars' in custom) throw new Error("inputs(): 'code' and 'vars' are labplay's own keys")
  // JSON round trip: what is compared next time is what the record stores (undefined dropped, dates as strings).
  return JSON.parse(JSON.stringify({ code, vars: maskSecrets(own), ...maskSecrets(custom) })) as RoleInputs
}
