import { InputError, type Place } from '../errors.ts'
import { applyLimit, selectHosts } from '../inventory/index.ts'
import { Later, type LazyVars, type Play as PlaySpec } from '../playbook/index.ts'
import type { Vars } from '../vars.ts'
import { bool } from './play-fields.ts'
import { planPlay, type PlayPlan } from './plan.ts'
import { PlayScopes, type ScopeInputs } from './scope.ts'
import { CONNECTION_VARS, targetFor, type ConnectOptions, type Target } from './targets.ts'

export interface PrepareOptions extends ConnectOptions, ScopeInputs {
  limit?: string
  tags: string[]
  skipTags: string[]
  cwd: string
}

// Everything a play needs, computed before any host is contacted so bad input fails first.
export interface PreparedPlay {
  spec: PlaySpec
  plan: PlayPlan
  hosts: string[]
  targets: Map<string, Target>
  // What its variables are made of: the run renders each role's variables on a host once its facts are read.
  inputs: ScopeInputs
}

// The hosts of a play: its pattern, narrowed by --limit, in inventory order.
export function playHosts(spec: PlaySpec, opts: Pick<PrepareOptions, 'inventory' | 'limit' | 'cwd'>): string[] {
  const hosts = selectHosts(opts.inventory, spec.hosts, { cwd: opts.cwd })
  return opts.limit ? applyLimit(opts.inventory, hosts, opts.limit, { cwd: opts.cwd }) : hosts
}

// Checks every variable the play will use on each host before any host is contacted, as far as it can be
// judged then: a role's declared variables and the connection variables. A template that uses facts can only
// be judged once they are read (the run renders it then, and a failure fails that host's task); anything else
// that is wrong (an undefined variable, a cycle, a vaulted value no password opens) is an InputError now.
export function preparePlay(spec: PlaySpec, opts: PrepareOptions): PreparedPlay {
  const plan = planPlay(spec, opts.catalog, opts.tags, opts.skipTags)
  const hosts = playHosts(spec, opts)
  const targets = new Map<string, Target>()
  const scopes = new PlayScopes(spec, opts, () => 'later')
  for (const host of hosts) {
    targets.set(host, connectionTarget(host, scopes.host(host), spec, opts))
    spec.roles.forEach((ref, index) => {
      const role = scopes.role(host, index)
      for (const name of Object.keys(opts.catalog.defaults(ref.role))) judgedLater(() => role.get(name))
    })
  }
  return { spec, plan, hosts, targets, inputs: { inventory: opts.inventory, catalog: opts.catalog, extraVars: opts.extraVars, playbookDir: opts.playbookDir } }
}

// The connection variables a host sets, rendered: they decide how to reach it, so they cannot wait for facts.
export function connectionVars(host: string, scope: LazyVars): Vars {
  const vars: Vars = {}
  for (const name of CONNECTION_VARS) {
    if (!scope.has(name)) continue
    try {
      vars[name] = scope.get(name)
    } catch (err) {
      if (err instanceof Later) throw new InputError(`host ${host}: ${name} uses '${err.variable}', a fact, but facts are read over the connection it sets up`)
      throw err
    }
  }
  return vars
}

function connectionTarget(host: string, scope: LazyVars, spec: PlaySpec, opts: PrepareOptions): Target {
  const vars = connectionVars(host, scope)
  const { become, become_user: becomeUser } = spec.templates
  const field = (source: string, place: Place, what: string) => {
    try {
      return scope.render(source, place, what)
    } catch (err) {
      if (err instanceof Later) throw new InputError(`host ${host}: ${what} uses '${err.variable}', a fact, but it decides how labplay connects`, place)
      throw err
    }
  }
  const playBecome = become ? bool(field(become.source, become.place, 'become'), become.place, 'become') : spec.become
  const playBecomeUser = becomeUser ? String(field(becomeUser.source, becomeUser.place, 'become_user')) : spec.becomeUser
  try {
    return targetFor(host, vars, opts, playBecome, playBecomeUser)
  } catch (err) {
    if (err instanceof InputError && !err.place) throw new InputError(err.message, spec.place)
    throw err
  }
}

function judgedLater(render: () => unknown): void {
  try {
    render()
  } catch (err) {
    if (!(err instanceof Later)) throw err
  }
}

// Rolling batches from `serial` (numbers, percentages; the last size repeats), as Ansible does.
export function batches(hosts: string[], serial: Array<number | string>): string[][] {
  if (serial.length === 0 || hosts.length === 0) return [hosts]
  const sizes = serial.map((s) => {
    const n = typeof s === 'number' ? s : s.endsWith('%') ? Math.floor((hosts.length * Number(s.slice(0, -1))) / 100) : Number(s)
    return Math.max(1, n)
  })
  const out: string[][] = []
  let i = 0
  for (let b = 0; i < hosts.length; b++) {
    const size = sizes[Math.min(b, sizes.length - 1)]!
    out.push(hosts.slice(i, i + size))
    i += size
  }
  return out
}
