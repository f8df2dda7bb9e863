import { resolve } from 'node:path'
import { groupsVar, hostVarsWithPlaces, type Inventory, type VarsEntry } from '../inventory/index.ts'
import { LazyRecord, LazyVars, type Play as PlaySpec, type VarLayer } from '../playbook/index.ts'
import { renderedVar } from '../revealed.ts'
import { SECRET_NAME } from '../vars.ts'
import type { Facts } from '../sdk/facts.types.ts'
import type { Vars } from '../vars.ts'
import { factVars, isFactName } from './fact-vars.ts'
import type { RoleCatalog } from './roles.ts'

// What every variable of a run is made of, besides the play.
export interface ScopeInputs {
  inventory: Inventory
  catalog: RoleCatalog
  extraVars: Vars
  // The playbook's folder: playbook_dir.
  playbookDir?: string
}

// A host's facts as templates see them: not read yet and to be judged later ('later', before any host is
// contacted), read, or not read at all (the play does not gather facts).
export type FactsView = 'later' | Facts | undefined

const EXTRA = { file: '--extra-vars' }

// The variables of one play, per host, with Ansible's precedence (lowest first): role defaults, inventory
// (group vars, host vars), facts, play vars (vars_files win), role vars, extra vars, then the magic
// playbook_dir, groups and hostvars. Each set renders a variable only when it is used (LazyVars).
export class PlayScopes {
  private readonly hostvars: LazyRecord
  // The last host's merged inventory variables: a host's play scope and each of its role scopes share them
  // (one entry only, so a play over 100 000 hosts never holds them all).
  private last?: { host: string; entry: VarsEntry }

  constructor(
    private readonly spec: PlaySpec,
    private readonly inputs: ScopeInputs,
    private readonly factsOf: (host: string) => FactsView,
  ) {
    const inv = inputs.inventory
    this.hostvars = new LazyRecord(() => [...inv.hosts.keys()], (host) => {
      const scope = this.host(host)
      return new LazyRecord(() => [...new Set(hostVarNames(inv, host, spec, inputs.extraVars))], (name) => scope.get(name))
    })
  }

  // A host's variables at play level: connection variables, become, and what hostvars[host] shows. Not kept:
  // a play over 100 000 hosts checks each in turn (hostvars keeps those a template reads).
  host(name: string): LazyVars {
    return this.scope(name, [], [this.playLayer()])
  }

  // The variables of the play's role `index` (its position in the play's roles) on host `name`.
  role(name: string, index: number): LazyVars {
    const ref = this.spec.roles[index]!
    const defaults = { vars: this.inputs.catalog.defaults(ref.role), place: { file: this.inputs.catalog.file(ref.role) ?? ref.role } }
    return this.scope(name, [defaults], [this.playLayer(), { vars: ref.vars, place: (n: string) => ref.varPlaces[n] ?? ref.place }])
  }

  // The play's own templated fields (hosts, name, serial, gather_facts): no host, so no inventory or facts.
  play(): LazyVars {
    const defaults = this.spec.roles.map((ref) => ({ vars: this.inputs.catalog.defaults(ref.role) }))
    return new LazyVars([...defaults, this.playLayer(), { vars: this.inputs.extraVars, place: EXTRA }, this.magic()], { onValue: secretValue })
  }

  private playLayer(): VarLayer {
    return { vars: this.spec.vars, place: (n: string) => this.spec.varPlaces[n] ?? this.spec.place }
  }

  private scope(host: string, below: VarLayer[], above: VarLayer[]): LazyVars {
    if (this.last?.host !== host) this.last = { host, entry: hostVarsWithPlaces(this.inputs.inventory, host) }
    const inventory = this.last.entry
    const facts = this.factsOf(host)
    const factLayer: VarLayer[] = facts === 'later' ? [{ later: isFactName }] : facts ? [{ vars: factVars(facts), literal: true }] : []
    return new LazyVars([...below, { vars: inventory.vars, place: (n: string) => inventory.places[n] }, ...factLayer, ...above, { vars: this.inputs.extraVars, place: EXTRA }, this.magic()], {
      subject: `host ${host}: `,
      onValue: secretValue,
      hint: (n) => (!isFactName(n) ? undefined : facts === undefined ? 'facts were not gathered for this host: the play sets gather_facts: false' : "labplay's facts have no such fact: README lists the Ansible fact names it provides"),
    })
  }

  private magic(): VarLayer {
    const dir = this.inputs.playbookDir
    return { vars: { ...(dir !== undefined && { playbook_dir: resolve(dir) }), groups: groupsVar(this.inputs.inventory), hostvars: this.hostvars }, literal: true }
  }
}

// The value of a secret-named variable (or under a secret-named key inside one) is a secret once rendered:
// masked everywhere from then on, by value and where it follows its name.
function secretValue(name: string, value: unknown): void {
  if (SECRET_NAME.test(name) || (typeof value === 'object' && value !== null)) renderedVar(name, value)
}

// The names hostvars[host] holds (facts aside): inventory, play and extra vars.
function hostVarNames(inv: Inventory, host: string, spec: PlaySpec, extra: Vars): string[] {
  return [...Object.keys(hostVarsWithPlaces(inv, host).vars), ...Object.keys(spec.vars), ...Object.keys(extra)]
}
