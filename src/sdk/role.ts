import type { Host, Play } from './host.ts'
import type { Facts } from './facts.types.ts'
import type { Vars } from '../vars.ts'

// One step of a role on each host; its name is an outcome ("smb.conf listens on loopback only").
export interface HostTask<V extends Vars> {
  name: string
  tags?: string[]
  // Skip this task on hosts where it returns false (evaluated after facts).
  when?: (h: Host<V>) => boolean
  run: (h: Host<V>) => Promise<unknown> | unknown
  // Handlers of this role to run at the end of the play when the task reports a change.
  notify?: string | string[]
  // Kill the task's commands after this long (default: the run's --task-timeout).
  timeoutMs?: number
}

// A step that runs a single time for all healthy hosts of the play, after all of them reached it.
export interface PlayTask<V extends Vars> {
  name: string
  tags?: string[]
  once: (play: Play<V>) => Promise<unknown> | unknown
  timeoutMs?: number
}

export type Task<V extends Vars> = HostTask<V> | PlayTask<V>

// What a role module exports by default; `defaults` declares every variable the role accepts.
export interface RoleDefinition<V extends Vars> {
  name: string
  description?: string
  defaults: V
  tasks: Array<Task<V>>
  handlers?: Record<string, (h: Host<V>) => Promise<unknown> | unknown>
  // Debian packages the role installs with its defaults, readable without running it: the test lab's
  // campus mirror carries them and their dependencies (a task still installs them with h.packages).
  packages?: readonly string[]
  // What else the role's outcome on a host depends on, beyond its code and variables (which labplay
  // tracks itself): `--stale` reruns the role where this differs from its last success there. Plain
  // JSON from facts and variables only (no command: it runs for every host, before the role's tasks).
  inputs?: (h: { facts: Facts; vars: V }) => Record<string, unknown>
}

// Identity at run time, typed at authoring time: role authors get completion on h.vars.
export function defineRole<V extends Vars>(role: RoleDefinition<V>): RoleDefinition<V> {
  return role
}

export function isPlayTask<V extends Vars>(task: Task<V>): task is PlayTask<V> {
  return 'once' in task
}
