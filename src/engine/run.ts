import pLimit from 'p-limit'
import { connectLocal } from '../connection/local.ts'
import { connectSsh } from '../connection/ssh.ts'
import type { Connection } from '../connection/types.ts'
import { UnreachableError } from '../connection/types.ts'
import { OutputLimitError } from '../connection/output-limit.ts'
import type { Play as PlaySpec } from '../playbook/index.ts'
import { FACTS_LIMIT, FACTS_SCRIPT, parseFacts } from '../sdk/facts.ts'
import { HostContext, type TaskRecord } from '../sdk/host.ts'
import { TaskFailed } from '../sdk/outcome.ts'
import { Barrier } from './barrier.ts'
import { Redactor } from './redact.ts'
import type { HostStatus, Reporter, RunSummary, TaskRef, TaskResult } from './events.ts'
import { exitCode, newHostState, tally, type HostState } from './host-state.ts'
import { runOnce, PlayShared, type Arrival } from './once.ts'
import { allRefs, roleApplies } from './plan.ts'
import { batches, connectionVars, preparePlay, type PreparedPlay, type PrepareOptions } from './prepare.ts'
import { RoleSelection, type RoleSelect } from './role-selection.ts'
import { PlayScopes } from './scope.ts'
import type { LazyVars } from '../playbook/index.ts'
import type { Vars } from '../vars.ts'
import type { Target } from './targets.ts'
import { endOf, finished, Interrupted, taskResult } from './task-end.ts'
import { startAtTask } from './start-at.ts'

export interface RunOptions extends PrepareOptions {
  playbook: string
  plays: PlaySpec[]
  check: boolean
  diff: boolean
  forks: number
  // Per command; a task may set its own.
  timeoutMs: number
  // Per command, stdout + stderr (--max-output; default 16 MiB); a command may set its own.
  maxOutputBytes?: number
  verbosity: number
  reporter: Reporter
  signal: AbortSignal
  connect?: (target: Target) => Promise<Connection>
  // --stale: run: false skips every task of the role on that host with `reason` as the message.
  select?: RoleSelect
  // --start-at-task: the run begins at this task (src/engine/start-at.ts).
  startAtTask?: string
  // --step: asked once per task of a play, before any host runs it; false skips it (src/step.ts).
  confirm?: (ref: TaskRef) => Promise<boolean>
}

export interface RunOutcome {
  summary: RunSummary
  // Hosts for the retry file: failed, unreachable, or cut off by an interrupt.
  retry: string[]
}

// A role reference on one host: its context, and the variables its `when` sees (rendered once facts are read).
interface RoleContext {
  ctx: HostContext
  // The role's variables as rendered, not ctx.vars: the engine's own reads are not a task reading a secret.
  vars: Vars
  scope: LazyVars
  // Why its variables could not be rendered on this host: every task of the role fails with it.
  error?: unknown
}

// Validates every play against the inventory, then runs them; throws InputError before any contact.
export async function runPlaybook(opts: RunOptions): Promise<RunOutcome> {
  const all = opts.plays.map((spec) => preparePlay(spec, opts))
  const prepared = opts.startAtTask === undefined ? all : startAtTask(all, opts.startAtTask)
  // Secret values (decrypted vault data, rendered *_password variables) reach it as they are learnt (src/revealed.ts).
  const redactor = new Redactor()
  redactor.add(opts.becomePassword)
  redactor.add(opts.password)
  return new Run(opts, redactor).execute(prepared)
}

class Run {
  private readonly hosts = new Map<string, HostState>()
  // The task each host is in, for live progress text.
  private readonly current = new Map<string, TaskRef>()
  private readonly limit: ReturnType<typeof pLimit>
  private readonly local = connectLocal('localhost')
  private readonly startedAt = new Date()
  private readonly selection: RoleSelection

  constructor(
    private readonly opts: RunOptions,
    private readonly redactor: Redactor,
  ) {
    this.limit = pLimit(Math.max(1, opts.forks))
    this.selection = new RoleSelection(opts.catalog, opts.select, this.emit, (inputs) => redactor.value(inputs))
  }

  async execute(plays: PreparedPlay[]): Promise<RunOutcome> {
    try {
      for (const play of plays) {
        if (this.opts.signal.aborted) break
        await this.runPlay(play)
      }
    } finally {
      await Promise.allSettled([...this.hosts.values()].map(async (h) => (await h.conn?.catch(() => undefined))?.close()))
      await this.local.close()
    }
    const interrupted = this.opts.signal.aborted
    const hosts = [...this.hosts.values()]
    const summaries = hosts.map((h) => (h.unfinished && !h.dead ? { ...h.summary, interrupted: true } : h.summary))
    const summary: RunSummary = {
      playbook: this.opts.playbook,
      startedAt: this.startedAt.toISOString(),
      durationMs: Date.now() - this.startedAt.getTime(),
      check: this.opts.check,
      interrupted,
      hosts: summaries,
      exitCode: exitCode(summaries, interrupted),
    }
    return { summary: this.redactor.summary(summary), retry: hosts.filter((h) => h.dead || h.unfinished).map((h) => h.name) }
  }

  // Everything the output sees passes the redactor: secrets never reach a terminal, a log or --json.
  private emit: Reporter['event'] = (e) => this.opts.reporter.event(this.redactor.event(e))

  private async runPlay(play: PreparedPlay): Promise<void> {
    const alive = play.hosts.filter((h) => !this.hosts.get(h)?.dead)
    for (const h of alive) if (!this.hosts.has(h)) this.hosts.set(h, newHostState(h))
    const groups = batches(alive, play.spec.serial)
    for (const [index, batch] of groups.entries()) {
      if (this.opts.signal.aborted) {
        batch.forEach((h) => (this.hosts.get(h)!.unfinished = true))
        continue
      }
      this.emit({ type: 'play-start', play: play.spec.name, hosts: batch, tasks: allRefs(play.plan), batch: groups.length > 1 ? { index, count: groups.length } : undefined })
      const barriers = new Map<number, Barrier<Arrival>>()
      const shared = new PlayShared()
      const once = { ...this.opts, local: this.local, redactor: this.redactor, emit: this.emit }
      for (const task of play.plan.tasks) {
        if (task.once) barriers.set(task.ref.index, new Barrier<Arrival>(batch.length, (arrivals) => runOnce(task, play.spec.name, arrivals, shared, once)))
      }
      await Promise.all(batch.map((h) => this.hostPipeline(play, this.hosts.get(h)!, barriers, shared)))
      this.emit({ type: 'play-end', play: play.spec.name })
    }
  }

  // One host through the play's tasks; leaves every barrier it will not reach.
  private async hostPipeline(play: PreparedPlay, state: HostState, barriers: Map<number, Barrier<Arrival>>, shared: PlayShared): Promise<void> {
    const tasks = play.plan.tasks
    const reached = new Set<number>()
    const notified = new Set<string>()
    const contexts = new Map<number, RoleContext>()
    const scopes = new PlayScopes(play.spec, play.inputs, (host) => this.hosts.get(host)?.facts)
    // Role reference → why --stale leaves it out on this host (undefined: it runs); decided once, before its first task.
    const staleWhy = new Map<number, string | undefined>()
    const stale = (roleIndex: number, vars: Vars) => {
      if (!staleWhy.has(roleIndex)) staleWhy.set(roleIndex, this.selection.skipReason(state, play.spec.roles[roleIndex]!.role, vars, state.facts))
      return staleWhy.get(roleIndex)
    }
    const context = async (roleIndex: number) => {
      let role = contexts.get(roleIndex)
      if (!role) contexts.set(roleIndex, (role = await this.context(play, state, roleIndex, scopes, shared)))
      return role
    }
    try {
      await this.step(() => this.connect(play, state))
      const facts = play.plan.facts
      if (facts) {
        const ctx = this.hostContext(state, '', {}, await state.conn!, shared)
        await this.step(() => this.runTask(play, state, facts, ctx, () => undefined, () => this.gatherFacts(state), undefined))
        if (state.dead) return
      }
      for (const task of tasks) {
        const roleIndex = play.spec.roles.indexOf(task.roleRef)
        const { ctx, vars, scope, error } = await context(roleIndex)
        const unchanged = error === undefined ? stale(roleIndex, vars) : undefined
        // A role its condition leaves out never needs its variables; one that runs fails on the first that cannot render.
        const roleGate = () => {
          if (!roleApplies(task.roleRef.when, scope.scope)) return 'role condition is false'
          if (error !== undefined) throw error
          return unchanged
        }
        if (task.once) {
          const arrival: Arrival = { ctx, facts: state.facts, gate: roleGate }
          reached.add(task.ref.index)
          await barriers.get(task.ref.index)!.arrive(arrival)
          this.finishTask(play, state, task.ref, arrival.result!)
        } else {
          const confirmed = this.opts.confirm ? await this.opts.confirm(task.ref) : true
          const gate = () => (confirmed ? undefined : 'not confirmed (--step)') ?? roleGate() ?? (task.when && !task.when(ctx) ? 'condition is false' : undefined)
          const result = await this.step(() => this.runTask(play, state, task.ref, ctx, gate, () => task.run!(ctx), task.timeoutMs))
          if (result.status === 'changed') task.notify.forEach((n) => ctx.notify(n))
        }
        for (const name of ctx.record.notified) notified.add(`${task.ref.role}\0${name}`)
        if (state.dead) return
      }
      for (const [role, handlers] of play.plan.handlers) {
        for (const [name, handler] of handlers) {
          if (!notified.has(`${role}\0${name}`)) continue
          const { ctx } = await context(play.spec.roles.findIndex((r) => r.role === role))
          await this.step(() => this.runTask(play, state, handler.ref, ctx, () => undefined, () => handler.run(ctx), undefined))
          if (state.dead) return
        }
      }
    } catch (err) {
      if (err instanceof Interrupted) state.unfinished = true
      else if (err instanceof UnreachableError) this.unreachable(state, err.message)
      else throw err
    } finally {
      for (const [index, barrier] of barriers) if (!reached.has(index)) barrier.leave()
    }
  }

  private async step<T>(fn: () => Promise<T>): Promise<T> {
    return this.limit(async () => {
      if (this.opts.signal.aborted) throw new Interrupted()
      return fn()
    })
  }

  private async connect(play: PreparedPlay, state: HostState): Promise<void> {
    if (!state.conn) {
      this.emit({ type: 'host-start', host: state.name })
      const target = play.targets.get(state.name)!
      state.conn = this.opts.connect ? this.opts.connect(target) : openTarget(target)
    }
    await state.conn
  }

  // One round trip; kept for the rest of the run (later plays reuse it). Bounded: a seat's facts are
  // at most FACTS_LIMIT bytes in all and FACT_VALUE_LIMIT a value, or the task fails.
  private async gatherFacts(state: HostState): Promise<void> {
    if (!state.facts) {
      const conn = await state.conn!
      const out = await conn.exec(FACTS_SCRIPT, { timeoutMs: this.opts.connectTimeoutMs * 3, maxOutputBytes: FACTS_LIMIT, signal: this.opts.signal }).catch((err: unknown) => {
        throw err instanceof OutputLimitError ? new TaskFailed(`could not read facts: ${err.message}; the command was killed`) : err
      })
      if (out.code !== 0) throw new TaskFailed(`could not read facts: exit ${out.code}: ${out.stderr.trim().slice(0, 300)}`)
      try {
        state.facts = parseFacts(out.stdout)
      } catch (err) {
        throw new TaskFailed(`could not read facts: ${(err as Error).message}`)
      }
      this.emit({ type: 'facts', host: state.name, facts: state.facts })
    }
  }

  // A role's variables on this host, rendered now that its facts are read: those the role declares, and the
  // connection variables (ansible_host…: a role may look at other hosts' addresses).
  private async context(play: PreparedPlay, state: HostState, roleIndex: number, scopes: PlayScopes, shared: PlayShared): Promise<RoleContext> {
    const role = play.spec.roles[roleIndex]!.role
    const conn = await state.conn!
    const scope = scopes.role(state.name, roleIndex)
    try {
      const vars: Vars = connectionVars(state.name, scope)
      for (const name of Object.keys(this.opts.catalog.defaults(role))) vars[name] = scope.get(name)
      return { ctx: this.hostContext(state, role, vars, conn, shared), vars, scope }
    } catch (error) {
      return { ctx: this.hostContext(state, role, {}, conn, shared), vars: {}, scope, error }
    }
  }

  private hostContext(state: HostState, role: string, vars: Vars, conn: Connection, shared: PlayShared): HostContext {
    return new HostContext({
      name: state.name,
      vars,
      facts: state.facts,
      check: this.opts.check,
      diff: this.opts.diff,
      conn,
      timeoutMs: this.opts.timeoutMs,
      maxOutputBytes: this.opts.maxOutputBytes,
      signal: this.opts.signal,
      progress: (text) => {
        const task = this.current.get(state.name)
        if (task) this.emit({ type: 'progress', task, text })
      },
      state: (key, value) => this.emit({ type: 'host-state', host: state.name, key, value }),
      share: (key, value) => shared.set(state.name, role, key, value),
    })
  }

  // gate: why the task is skipped on this host, if it is; it may throw (a `when` on an undefined variable): failed.
  private async runTask(play: PreparedPlay, state: HostState, ref: TaskRef, ctx: HostContext, gate: () => string | undefined, body: () => unknown, timeoutMs: number | undefined): Promise<TaskResult> {
    const started = performance.now()
    const record = ctx.beginTask({ timeoutMs: timeoutMs ?? this.opts.timeoutMs, facts: state.facts })
    this.current.set(state.name, ref)
    this.emit({ type: 'task-start', host: state.name, task: ref })
    let status: HostStatus
    let message: string | undefined
    try {
      const reason = gate()
      if (reason) {
        status = 'skipped'
        message = reason
      } else {
        await body()
        this.checkNotified(play, ref, record)
        ;[status, message] = finished(record)
      }
    } catch (err) {
      ;[status, message] = endOf(err, this.opts)
    }
    const result = taskResult(record, status, message, started, this.redactor)
    this.finishTask(play, state, ref, result)
    return result
  }

  private checkNotified(play: PreparedPlay, ref: TaskRef, record: TaskRecord): void {
    const own = play.plan.handlers.get(ref.role)
    for (const name of record.notified) {
      if (!own?.has(name)) throw new TaskFailed(`notify: role '${ref.role}' has no handler '${name}'`)
    }
  }

  private finishTask(play: PreparedPlay, state: HostState, ref: TaskRef, result: TaskResult): void {
    tally(state, play.spec.name, ref.role, ref.name, result)
    for (const message of result.warnings ?? []) this.emit({ type: 'warn', host: state.name, message })
    this.emit({ type: 'task-end', host: state.name, task: ref, result })
    if (result.status === 'unreachable') this.emit({ type: 'host-unreachable', host: state.name, message: result.message ?? 'unreachable' })
  }

  private unreachable(state: HostState, message: string): void {
    state.summary.unreachable++
    state.dead = true
    this.emit({ type: 'host-unreachable', host: state.name, message })
  }
}

// A host labplay cannot drive (ansible_connection winrm…) counts as unreachable, with the reason.
function openTarget(target: Target): Promise<Connection> {
  if (target.kind === 'local') return Promise.resolve(connectLocal(target.name, { become: target.become }))
  if (target.kind === 'ssh') return connectSsh(target.ssh)
  return Promise.reject(new UnreachableError(`${target.name}: ansible_connection '${target.connection}' is not one labplay drives (it speaks ssh and local); this host is listed and selectable, but cannot be run`))
}
