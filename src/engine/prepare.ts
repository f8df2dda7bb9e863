import { InputError } from '../errors.ts'
import { applyLimit, hostVars, selectHosts } from '../inventory/index.ts'
import type { Inventory } from '../inventory/types.ts'
import { mergeVars, resolveVars } from '../playbook/index.ts'
import type { Play as PlaySpec } from '../playbook/index.ts'
import type { Vars } from '../vars.ts'
import { planPlay, type PlayPlan } from './plan.ts'
import type { RoleCatalog } from './roles.ts'
import { targetFor, type ConnectOptions, type Target } from './targets.ts'

export interface PrepareOptions extends ConnectOptions {
  inventory: Inventory
  catalog: RoleCatalog
  limit?: string
  tags: string[]
  skipTags: string[]
  extraVars: Vars
  cwd: string
}

// Everything a play needs, computed before any host is contacted so bad input fails first.
export interface PreparedPlay {
  spec: PlaySpec
  plan: PlayPlan
  hosts: string[]
  // Per host: the variables of each role reference (by position in spec.roles), fully resolved.
  roleVars: Map<string, Vars[]>
  targets: Map<string, Target>
}

// The hosts of a play: its pattern, narrowed by --limit, in inventory order.
export function playHosts(spec: PlaySpec, opts: Pick<PrepareOptions, 'inventory' | 'limit' | 'cwd'>): string[] {
  const hosts = selectHosts(opts.inventory, spec.hosts, { cwd: opts.cwd })
  return opts.limit ? applyLimit(opts.inventory, hosts, opts.limit, { cwd: opts.cwd }) : hosts
}

// Variable precedence, lowest first: role defaults, inventory (group → host), play vars, role vars, extra vars.
export function preparePlay(spec: PlaySpec, opts: PrepareOptions): PreparedPlay {
  const plan = planPlay(spec, opts.catalog, opts.tags, opts.skipTags)
  const hosts = playHosts(spec, opts)
  const roleVars = new Map<string, Vars[]>()
  const targets = new Map<string, Target>()
  for (const host of hosts) {
    const inventoryVars = hostVars(opts.inventory, host)
    const playVars = resolveVars(mergeVars(inventoryVars, spec.vars, opts.extraVars), spec.place)
    targets.set(host, withPlace(spec, () => targetFor(host, playVars, opts, spec.become, spec.becomeUser)))
    roleVars.set(host, spec.roles.map((ref) =>
      resolveVars(mergeVars(opts.catalog.defaults(ref.role), inventoryVars, spec.vars, ref.vars, opts.extraVars), ref.place)))
  }
  return { spec, plan, hosts, roleVars, targets }
}

function withPlace<T>(spec: PlaySpec, fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    if (err instanceof InputError && !err.place) throw new InputError(err.message, spec.place)
    throw err
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
