import { existsSync, readdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { registerTypeScript } from '../../bin/typescript.js'
import { InputError } from '../errors.ts'
import { BUNDLED, ROOT } from '../root.ts'
import type { RoleDefinition } from '../sdk/role.ts'
import { bundledRole } from './role-bundle.ts'
import type { Vars } from '../vars.ts'

export type AnyRole = RoleDefinition<Vars>

// labplay's own roles, for playbooks kept anywhere.
export const BUILTIN_ROLES = join(ROOT, 'roles')

// Where a playbook's roles live, first match wins: beside it, ansible.cfg's roles_path, beside its folder, then labplay's own.
export function roleDirs(playbookFile: string, rolesPath: string[] = []): string[] {
  const here = dirname(resolve(playbookFile))
  return [...new Set([join(here, 'roles'), ...rolesPath, join(here, '..', 'roles'), BUILTIN_ROLES])]
}

// A folder of Ansible's own role layout (tasks/main.yml, no index.ts) found where labplay looks for roles.
export function ansibleRoleAt(dirs: string[], name: string): string | undefined {
  for (const dir of dirs) {
    const folder = join(dir, name)
    if (existsSync(join(folder, 'index.ts'))) return undefined
    if (['tasks/main.yml', 'tasks/main.yaml', 'meta/main.yml'].some((f) => existsSync(join(folder, f)))) return folder
  }
  return undefined
}

// Every role folder found (name → index.ts), without loading any of them.
export function findRoles(dirs: string[]): Map<string, string> {
  const found = new Map<string, string>()
  for (const dir of dirs) {
    if (!existsSync(dir)) continue
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const index = join(dir, entry.name, 'index.ts')
      if ((entry.isDirectory() || entry.isSymbolicLink()) && !found.has(entry.name) && existsSync(index)) found.set(entry.name, index)
    }
  }
  return found
}

let typescript: Promise<void> | undefined

// Roles are TypeScript. From the start-up bundle, a role loads as its own cached bundle; failing that
// (or when labplay runs from its sources), through tsx, registered before the first.
async function importTypeScript(file: string): Promise<{ default?: unknown }> {
  if (BUNDLED) {
    const built = await bundledRole(file)
    if (built) {
      const mod = await import(pathToFileURL(built).href).catch(() => undefined)
      if (mod) return mod as { default?: unknown }
    }
    await (typescript ??= registerTypeScript(ROOT))
  }
  return (await import(pathToFileURL(file).href)) as { default?: unknown }
}

// Imports a role module and checks its shape, so a broken role is a clear error before any host.
export async function loadRole(name: string, file: string): Promise<AnyRole> {
  let mod: { default?: unknown }
  try {
    mod = await importTypeScript(file)
  } catch (err) {
    throw new InputError(`role '${name}' does not load: ${(err as Error).message.split('\n')[0]}`, { file })
  }
  const role = mod.default as Partial<AnyRole> | undefined
  const problem = !role || typeof role !== 'object'
    ? 'expected a default export made with defineRole({...})'
    : role.name !== name
      ? `expected name '${name}' (the folder's name), found '${String(role.name)}'`
      : !Array.isArray(role.tasks)
        ? 'expected tasks: [...]'
        : typeof role.defaults !== 'object' || role.defaults === null
          ? 'expected defaults: {...} declaring every variable of the role'
          : role.packages !== undefined && !(Array.isArray(role.packages) && role.packages.every((p) => typeof p === 'string'))
            ? 'expected packages: [...] naming Debian packages'
            : undefined
  if (problem) throw new InputError(`role '${name}': ${problem}`, { file })
  return role as AnyRole
}

// The roles a run may use, loaded once; the playbook validator asks it about names and variables.
export class RoleCatalog {
  private constructor(
    private readonly files: Map<string, string>,
    private readonly loaded: Map<string, AnyRole>,
    // A role that does not load is an error only for the playbooks that use it.
    private readonly broken: Map<string, unknown>,
    private readonly dirs: string[] = [],
  ) {}

  static async load(dirs: string[], only?: Iterable<string>): Promise<RoleCatalog> {
    const files = findRoles(dirs)
    const names = only ? [...new Set(only)].filter((n) => files.has(n)) : [...files.keys()]
    const results = await Promise.allSettled(names.map((n) => loadRole(n, files.get(n)!)))
    const loaded = new Map<string, AnyRole>()
    const broken = new Map<string, unknown>()
    results.forEach((r, i) => (r.status === 'fulfilled' ? loaded.set(names[i]!, r.value) : broken.set(names[i]!, r.reason)))
    return new RoleCatalog(files, loaded, broken, dirs)
  }

  // An Ansible role folder of this name where a labplay role was looked for: it cannot run, and says so.
  ansibleRole(name: string): string | undefined {
    return ansibleRoleAt(this.dirs, name)
  }

  has(name: string): boolean {
    return this.files.has(name)
  }
  names(): string[] {
    return [...this.files.keys()].sort()
  }
  // The role's index.ts (its folder is the role's code, hashed for --stale).
  file(name: string): string | undefined {
    return this.files.get(name)
  }
  defaults(name: string): Vars {
    return this.get(name).defaults
  }
  get(name: string): AnyRole {
    const role = this.loaded.get(name)
    if (role) return role
    throw this.broken.get(name) ?? new InputError(`role '${name}' was not loaded`)
  }
}
