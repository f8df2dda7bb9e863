import type { Connection, ExecResult } from '../../src/connection/types.ts'
import type { Facts } from '../../src/sdk/facts.types.ts'
import { HostContext, tagged, type Play } from '../../src/sdk/host.ts'
import { TaskSkipped } from '../../src/sdk/outcome.ts'
import { isPlayTask, type HostTask, type PlayTask, type RoleDefinition, type Task } from '../../src/sdk/role.ts'
import type { Vars } from '../../src/vars.ts'
import { FACTS } from './primitive-harness.ts'
import { seatAnswer, unquote, type Seat } from './role-seat.ts'

// Role tests as data, as pyinfra's operation tests are: variables, facts, the seat's state and the replies to
// the role's own probes in; the task's outcome and the commands it sent out. The real HostContext runs the role
// over a connection that answers from the case: no root, no host, no SSH.

export type Reply = string | Partial<ExecResult>
// The first rule whose pattern matches a command answers it; a string matches a command that starts with it.
// A list of replies answers the rule's first match, second match…, its last reply every match after.
export type Rules = Array<[RegExp | string, Reply | Reply[]]>

type FactsOver = { [K in keyof Facts]?: Facts[K] extends readonly unknown[] ? Facts[K] : Facts[K] extends object ? Partial<Facts[K]> : Facts[K] }

export interface RoleCase {
  vars?: Vars
  // Merged one level deep into primitive-harness's FACTS: { kvm: { device: false } } keeps the rest of kvm.
  facts?: FactsOver
  seat?: Seat
  // Replies to the role's own probes (h.probe, h.exec), asked before the seat answers a primitive's.
  probes?: Rules
  // Changes that fail; every other command is a change that succeeds.
  fails?: Rules
  check?: boolean
  diff?: boolean
}

export interface TaskRun {
  status: 'ok' | 'changed' | 'failed' | 'skipped'
  // Why it failed or was skipped.
  message?: string
  // What changed, or would change in check mode ("would run: …"), as the task's result tells.
  changes: string[]
  warnings: string[]
  notified: string[]
  state: Record<string, string>
  // Every command sent, in order; `runs` are those neither a probe rule nor the seat answered: the changes.
  commands: string[]
  runs: string[]
  // What the file primitive wrote (its content travels on stdin), by path.
  written: Record<string, string>
}

// One task of a role on one host, by its name (a role's tasks take a Host of its variables: the harness gives
// them the HostContext, as the engine does).
export async function runTask<V extends Vars>(role: RoleDefinition<V>, name: string, c: RoleCase = {}): Promise<TaskRun> {
  const task = (role as unknown as RoleDefinition<Vars>).tasks.find((t) => t.name === name)
  if (!task || isPlayTask(task)) throw new Error(`role ${role.name} has no host task '${name}'`)
  return new FakeHost('m5-01', role.defaults, c).task(task)
}

// One handler of a role on one host.
export async function runHandler<V extends Vars>(role: RoleDefinition<V>, name: string, c: RoleCase = {}): Promise<TaskRun> {
  const handler = (role as unknown as RoleDefinition<Vars>).handlers?.[name]
  if (!handler) throw new Error(`role ${role.name} has no handler '${name}'`)
  return new FakeHost('m5-01', role.defaults, c).task({ name, run: handler })
}

export interface PlayRun {
  // Per host, one result a task, in the role's order; a host that failed leaves the play, as in the engine.
  hosts: Record<string, TaskRun[]>
  // Commands the play-scoped tasks ran on the controller.
  controller: string[]
}

// Every task of a role on several hosts: host tasks on each healthy host, then a play-scoped task once for them.
export async function runPlay<V extends Vars>(role: RoleDefinition<V>, cases: Record<string, RoleCase>, opts: { check?: boolean; controller?: Rules } = {}): Promise<PlayRun> {
  const hosts = Object.entries(cases).map(([name, c]) => new FakeHost(name, role.defaults, { ...c, check: opts.check }))
  const out: PlayRun = { hosts: Object.fromEntries(hosts.map((h) => [h.name, []])), controller: [] }
  for (const task of (role as unknown as RoleDefinition<Vars>).tasks) {
    const live = hosts.filter((h) => out.hosts[h.name]!.every((r) => r.status !== 'failed'))
    if (!isPlayTask(task)) {
      for (const h of live) out.hosts[h.name]!.push(await h.task(task))
      continue
    }
    const failed = new Map<unknown, string>()
    for (const h of live) h.begin()
    const play = playOf(live, opts, failed, out.controller)
    let error: unknown
    try {
      await (task as PlayTask<Vars>).once(play)
    } catch (e) {
      error = e
    }
    for (const h of live) out.hosts[h.name]!.push(h.outcome(error ?? (failed.has(h.ctx) ? new Error(failed.get(h.ctx)) : undefined)))
  }
  return out
}

function playOf(hosts: FakeHost[], opts: { check?: boolean; controller?: Rules }, failed: Map<unknown, string>, log: string[]): Play {
  const counts = new Map<unknown, number>()
  const localExec: Play['localExec'] = async (command) => {
    log.push(command)
    return answer(opts.controller ?? [], command, counts) ?? { code: 0, stdout: '', stderr: '' }
  }
  return {
    name: 'play',
    hosts: hosts.map((h) => h.ctx),
    check: opts.check ?? false,
    local: tagged((command) => localExec(command, { mutating: false })),
    localExec,
    failHost: (host, message) => void failed.set(host, message),
    progress: () => {},
    shared: <T>(host: unknown, key: string) => hosts.find((h) => h.ctx === host)?.shared.get(key) as T | undefined,
  }
}

// A host of the case: the real HostContext over a connection that answers from probe rules, then the seat.
class FakeHost {
  readonly ctx: HostContext
  private commands: string[] = []
  private runs: string[] = []
  private written: Record<string, string> = {}
  private state: Record<string, string> = {}
  // How often each rule has answered, for rules with a list of replies.
  private readonly counts = new Map<unknown, number>()
  // What the role's host tasks handed its play-scoped steps with h.share.
  readonly shared = new Map<string, unknown>()

  constructor(
    readonly name: string,
    defaults: Vars,
    c: RoleCase,
  ) {
    const facts = mergeFacts(c.facts)
    const conn: Connection = {
      host: name,
      close: async () => {},
      exec: async (command, opts) => {
        this.commands.push(command)
        const probe = answer(c.probes ?? [], command, this.counts) ?? seatAnswer(c.seat ?? {}, command, facts.init)
        if (probe) return probe
        this.runs.push(command)
        const write = /^p=(.*)\ntmp=\$\(mktemp -- /.exec(command)
        if (write && opts?.stdin !== undefined) this.written[unquote(write[1]!)] = opts.stdin.toString()
        return answer(c.fails ?? [], command, this.counts) ?? { code: 0, stdout: '', stderr: '' }
      },
    }
    this.ctx = new HostContext({
      name, vars: { ...defaults, ...c.vars }, facts, check: c.check ?? false, diff: c.diff ?? false, conn,
      timeoutMs: 10_000, signal: new AbortController().signal, progress: () => {}, state: (k, v) => void (this.state[k] = v),
      share: (k, v) => void this.shared.set(k, v),
    })
  }

  // A fresh task record and command log, as the engine gives each task.
  begin(): void {
    this.ctx.beginTask({ timeoutMs: 10_000 })
    this.commands = []
    this.runs = []
    this.written = {}
    this.state = {}
  }

  async task(task: Task<Vars>): Promise<TaskRun> {
    this.begin()
    const run = task as HostTask<Vars>
    if (run.when && !run.when(this.ctx)) return this.outcome(new TaskSkipped('condition false'))
    try {
      await run.run(this.ctx)
    } catch (error) {
      return this.outcome(error)
    }
    // The task's own notify, as the engine applies it: when the task changed something.
    if (this.ctx.record.changed) for (const handler of [run.notify ?? []].flat()) this.ctx.record.notified.add(handler)
    return this.outcome()
  }

  outcome(error?: unknown): TaskRun {
    const r = this.ctx.record
    const status = error instanceof TaskSkipped ? 'skipped' : error !== undefined ? 'failed' : r.changed ? 'changed' : 'ok'
    return {
      status,
      ...(error !== undefined && { message: error instanceof Error ? error.message : String(error) }),
      changes: [...r.messages],
      warnings: [...r.warnings],
      notified: [...r.notified],
      state: this.state,
      commands: this.commands,
      runs: this.runs,
      written: this.written,
    }
  }
}

function answer(rules: Rules, command: string, counts: Map<unknown, number>): ExecResult | undefined {
  const rule = rules.find(([pattern]) => (typeof pattern === 'string' ? command.startsWith(pattern) : pattern.test(command)))
  if (!rule) return undefined
  const n = counts.get(rule) ?? 0
  counts.set(rule, n + 1)
  const reply = Array.isArray(rule[1]) ? rule[1][Math.min(n, rule[1].length - 1)]! : rule[1]
  return typeof reply === 'string' ? { code: 0, stdout: reply, stderr: '' } : { code: 0, stdout: '', stderr: '', ...reply }
}

function mergeFacts(over: FactsOver = {}): Facts {
  const facts: Record<string, unknown> = { ...FACTS }
  for (const [key, value] of Object.entries(over)) {
    const base = facts[key]
    facts[key] = value && typeof value === 'object' && !Array.isArray(value) && base && typeof base === 'object' ? { ...base, ...value } : value
  }
  return facts as unknown as Facts
}
