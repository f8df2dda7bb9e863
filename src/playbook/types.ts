import type { Place } from '../errors.ts'
import type { Vars } from '../vars.ts'
import type { Scope } from './expr-eval.ts'

// What the loader must know about roles to reject a bad playbook before any host is touched.
export interface RoleCatalog {
  has(name: string): boolean
  // For "unknown role 'x', expected one of: …".
  names(): string[]
  // An Ansible role (tasks/main.yml) of that name where labplay looked: "it is an Ansible role", not "unknown".
  ansibleRole?(name: string): string | undefined
  // The role's declared variables; only these may be set in a playbook's role `vars`.
  defaults(name: string): Vars
}

// Where each variable of a set was written, so a later template error can point at it.
export type VarPlaces = Record<string, Place>

// A compiled `when`: parsed once at load time, tested per host.
export interface When {
  source: string
  place: Place
  // Throws WhenError when the expression cannot be evaluated (an undefined variable, a bad comparison).
  // Variables come as a plain set, or through a scope that renders them on use (LazyVars).
  test(vars: Vars | Scope): boolean
}

// One role of a play, as the playbook names it.
export interface RoleRef {
  role: string
  // Raw (unrendered) role vars; every key is declared in the role's defaults.
  vars: Vars
  varPlaces: VarPlaces
  // Effective tags: the role's own name, then the play's tags, then the entry's tags.
  tags: string[]
  when?: When
  place: Place
}

// A play field written as a template, as written and where.
export interface Templated {
  source: string
  place: Place
}

// Play fields Ansible templates: hosts, name, serial and gather_facts once per play (extra and play vars),
// become and become_user per host (its inventory vars too). Until rendered, the typed fields hold placeholders.
export interface PlayTemplates {
  hosts?: Templated
  name?: Templated
  serial?: Templated
  gather_facts?: Templated
  become?: Templated
  become_user?: Templated
}

// A validated play; `vars` already includes the loaded `vars_files` (they win over `vars`, as in Ansible).
export interface Play {
  name: string
  // Host pattern, unrendered.
  hosts: string
  vars: Vars
  varPlaces: VarPlaces
  // Absolute paths of the files whose variables were merged into `vars`.
  varsFiles: string[]
  roles: RoleRef[]
  // Rolling batch sizes; [] = all hosts at once. The last size repeats, as in Ansible.
  serial: Array<number | string>
  become?: boolean
  becomeUser?: string
  gatherFacts: boolean
  tags: string[]
  templates: PlayTemplates
  place: Place
}
