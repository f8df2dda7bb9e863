import type { RunEvent, TaskRef } from '../engine/events.ts'

export interface HostNote {
  host: string
  message: string
}

// Where one task of the current play stands across all hosts; what both views print.
export interface TaskTally {
  ref: TaskRef
  ok: number
  changed: number
  failed: number
  skipped: number
  unreachable: number
  // Hosts that reported task-end for this task.
  ended: Set<string>
  // Hosts that left the play (failed earlier, unreachable) before reaching this task.
  dropped: number
  // Host → start time (ms) of hosts running this task now.
  running: Map<string, number>
  failures: HostNote[]
  progress?: string
  firstStartMs?: number
  lastEndMs?: number
  done: boolean
}

// Hosts this task still expects: the play's hosts minus those that left before reaching it.
// A handler runs only where it was notified, so it expects no count; the play's end closes it.
export function expected(t: TaskTally, hostCount: number): number | undefined {
  return t.ref.handler ? undefined : hostCount - t.dropped
}

// One play (or one serial batch) folded from events in O(1) per event, except a host
// leaving the play, which touches each unfinished task once.
export class PlayTally {
  readonly tasks: TaskTally[] = []
  readonly unreachable: HostNote[] = []
  readonly warnings: HostNote[] = []
  private readonly byIndex = new Map<number, TaskTally>()
  private readonly gone = new Set<string>()
  private readonly members: Set<string>

  constructor(
    readonly name: string,
    readonly hosts: string[],
    refs: TaskRef[],
    readonly batch?: { index: number; count: number },
  ) {
    this.members = new Set(hosts)
    for (const ref of refs) this.task(ref)
  }

  // Apply one event; returns the tasks that this event finished on every expected host.
  apply(e: RunEvent, nowMs: number): TaskTally[] {
    switch (e.type) {
      case 'task-start': {
        const t = this.task(e.task)
        t.firstStartMs ??= nowMs
        t.running.set(e.host, nowMs)
        return []
      }
      case 'task-end': {
        const t = this.task(e.task)
        t.running.delete(e.host)
        if (t.ended.has(e.host)) return []
        if (this.gone.has(e.host)) t.dropped--
        t.ended.add(e.host)
        t.firstStartMs ??= nowMs
        t.lastEndMs = nowMs
        const { status } = e.result
        t[status]++
        if (status === 'failed') t.failures.push({ host: e.host, message: e.result.message ?? 'failed' })
        const finished = this.settle(t)
        if (status === 'failed' || status === 'unreachable') finished.push(...this.leave(e.host))
        return finished
      }
      case 'host-unreachable':
        this.unreachable.push({ host: e.host, message: e.message })
        return this.leave(e.host)
      case 'progress':
        this.task(e.task).progress = e.text
        return []
      case 'warn':
        this.warnings.push({ host: e.host, message: e.message })
        return []
      default:
        return []
    }
  }

  // Tasks still open when the play ends (skipped by tags, interrupted): close them all.
  closeAll(): TaskTally[] {
    const open = this.tasks.filter((t) => !t.done)
    for (const t of open) t.done = true
    return open
  }

  private task(ref: TaskRef): TaskTally {
    let t = this.byIndex.get(ref.index)
    if (!t) {
      t = {
        ref, ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: 0,
        ended: new Set(), dropped: this.gone.size, running: new Map(), failures: [], done: false,
      }
      this.byIndex.set(ref.index, t)
      this.tasks.push(t)
    }
    return t
  }

  private leave(host: string): TaskTally[] {
    if (this.gone.has(host) || !this.members.has(host)) return []
    this.gone.add(host)
    const finished: TaskTally[] = []
    for (const t of this.tasks) {
      t.running.delete(host)
      if (t.done || t.ended.has(host)) continue
      t.dropped++
      finished.push(...this.settle(t))
    }
    return finished
  }

  private settle(t: TaskTally): TaskTally[] {
    const want = expected(t, this.hosts.length)
    if (t.done || want === undefined || t.ended.size < want) return []
    t.done = true
    return [t]
  }
}
