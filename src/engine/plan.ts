import { InputError } from '../errors.ts'
import type { Play as PlaySpec, RoleRef, When } from '../playbook/index.ts'
import type { Host, Play } from '../sdk/host.ts'
import { isPlayTask } from '../sdk/role.ts'
import type { Vars } from '../vars.ts'
import type { Scope } from '../playbook/expr-eval.ts'
import type { TaskRef } from './events.ts'
import type { RoleCatalog } from './roles.ts'
import { selectedByTags } from './tags.ts'

// One step of a play after tag selection, in run order.
export interface PlannedTask {
  ref: TaskRef
  roleRef: RoleRef
  tags: string[]
  timeoutMs?: number
  notify: string[]
  when?: (h: Host) => boolean
  run?: (h: Host) => unknown
  once?: (play: Play) => unknown
}

export interface PlannedHandler {
  ref: TaskRef
  run: (h: Host) => unknown
}

export interface PlayPlan {
  // Facts are read as a task of their own, as Ansible's "Gathering Facts": a failure there (sudo) fails the host.
  facts?: TaskRef
  tasks: PlannedTask[]
  // Keyed by role, then handler name: notify reaches only the notifying role's handlers.
  handlers: Map<string, Map<string, PlannedHandler>>
}

// The play's tasks as they will run: every role tagged with its own name, then filtered by -t/--skip-tags.
export function planPlay(play: PlaySpec, catalog: RoleCatalog, only: string[], skip: string[]): PlayPlan {
  const tasks: PlannedTask[] = []
  const handlers = new Map<string, Map<string, PlannedHandler>>()
  let index = 0
  const facts: TaskRef | undefined = play.gatherFacts && play.roles.length > 0 ? { index: index++, role: '', name: 'Gathering Facts', once: false, handler: false } : undefined
  for (const roleRef of play.roles) {
    const role = catalog.get(roleRef.role)
    for (const task of role.tasks) {
      const tags = [...new Set([role.name, ...play.tags, ...roleRef.tags, ...(task.tags ?? [])])]
      if (!selectedByTags(tags, only, skip)) continue
      const ref: TaskRef = { index: index++, role: role.name, name: task.name, once: isPlayTask(task), handler: false }
      if (isPlayTask(task)) {
        tasks.push({ ref, roleRef, tags, timeoutMs: task.timeoutMs, notify: [], once: task.once as (p: Play) => unknown })
        continue
      }
      const notify = task.notify === undefined ? [] : [task.notify].flat()
      const unknown = notify.find((n) => !role.handlers?.[n])
      if (unknown) throw new InputError(`role '${role.name}', task '${task.name}': notify '${unknown}' names no handler of the role (expected one of: ${Object.keys(role.handlers ?? {}).join(', ') || 'none'})`)
      tasks.push({ ref, roleRef, tags, timeoutMs: task.timeoutMs, notify, when: task.when as ((h: Host) => boolean) | undefined, run: task.run as (h: Host) => unknown })
    }
  }
  for (const roleRef of play.roles) {
    const role = catalog.get(roleRef.role)
    if (handlers.has(role.name) || !tasks.some((t) => t.ref.role === role.name)) continue
    const own = new Map<string, PlannedHandler>()
    for (const [name, run] of Object.entries(role.handlers ?? {})) {
      own.set(name, { ref: { index: index++, role: role.name, name, once: false, handler: true }, run: run as (h: Host) => unknown })
    }
    handlers.set(role.name, own)
  }
  return { facts, tasks, handlers }
}

export function allRefs(plan: PlayPlan): TaskRef[] {
  return [...(plan.facts ? [plan.facts] : []), ...plan.tasks.map((t) => t.ref), ...[...plan.handlers.values()].flatMap((m) => [...m.values()].map((h) => h.ref))]
}

// A role reference's `when`, evaluated per host with its variables and facts.
export function roleApplies(when: When | undefined, vars: Vars | Scope): boolean {
  return when ? when.test(vars) : true
}
