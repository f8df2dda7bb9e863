import { InputError } from '../errors.ts'
import type { TaskRef } from './events.ts'
import type { PreparedPlay } from './prepare.ts'

// --start-at-task as ansible-playbook: the run begins at the first task (in play order) named NAME, written
// as the task's name or `role : name`, `*` and `?` matching as in fnmatch; plays before it do not run and
// its own play starts there (facts are still read first). No such task is bad input, before any host.
export function startAtTask(plays: PreparedPlay[], name: string): PreparedPlay[] {
  for (const [p, play] of plays.entries()) {
    const at = play.plan.tasks.findIndex((task) => named(task.ref, name))
    if (at < 0) continue
    return [{ ...play, plan: { ...play.plan, tasks: play.plan.tasks.slice(at) } }, ...plays.slice(p + 1)]
  }
  const known = plays.flatMap((play) => play.plan.tasks.map((task) => `${task.ref.role} : ${task.ref.name}`))
  throw new InputError(`--start-at-task '${name}': no task has that name${known.length ? ` (the first ones: ${known.slice(0, 5).join(', ')}${known.length > 5 ? ', …' : ''})` : ''}`)
}

function named(ref: TaskRef, name: string): boolean {
  const re = new RegExp(`^${name.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`)
  return [ref.name, `${ref.role} : ${ref.name}`].some((n) => n === name || re.test(n))
}
