import type { Readable } from 'node:stream'
import { MAX_OUTPUT_BYTES, OutputLimitError } from '../connection/output-limit.ts'
import type { Connection, ExecResult } from '../connection/types.ts'
import type { Vars } from '../vars.ts'
import type { Facts } from './facts.types.ts'
import type { FileDiff, Outcome, PrimitiveIO } from './primitives/types.ts'
import * as primitives from './primitives/index.ts'
import { shell } from './shell.ts'
import { checksum, type FileSum } from './checksum.ts'
import { StepError, TaskFailed, TaskSkipped } from './outcome.ts'
import { watchSecretReads } from './secret-reads.ts'

// As zx's `$`: a template runs a command; called with limits first, it returns the same kind of
// template using them (h.probe({ maxOutputBytes: 64 * 1024 * 1024 })`cat ${log}`).
export interface Tagged {
  (strings: TemplateStringsArray, ...values: unknown[]): Promise<ExecResult>
  (limits: CommandLimits): Tagged
}
type Args<F> = F extends (io: PrimitiveIO, ...rest: infer A) => Promise<Outcome> ? A : never

// What one task did on one host; the engine turns it into a TaskResult.
export interface TaskRecord {
  changed: boolean
  messages: string[]
  diffs: FileDiff[]
  warnings: string[]
  notified: Set<string>
  // The task read a secret-named variable: its diffs may show the secret, so they are hidden.
  readSecret: boolean
}

export function newRecord(): TaskRecord {
  return { changed: false, messages: [], diffs: [], warnings: [], notified: new Set(), readSecret: false }
}

// One command's own bounds, where the task's defaults do not fit.
export interface CommandLimits {
  timeoutMs?: number
  // stdout + stderr, streamed bytes included (default --max-output, 16 MiB); past it the command is killed
  // and the task fails with "output exceeded N MiB".
  maxOutputBytes?: number
}

export interface ExecCall extends CommandLimits {
  stdin?: string | Buffer | Readable
  onStdout?: (chunk: string) => void
  onStderr?: (chunk: string) => void
}

// The host as a role sees it: read with probe, change with run or the primitives.
export interface Host<V extends Vars = Vars> {
  readonly name: string
  readonly vars: V
  readonly facts: Facts
  readonly check: boolean
  readonly diff: boolean
  // Read-only command; runs in check mode too; never throws on a non-zero exit (look at .code).
  probe: Tagged
  // Changing command; in check mode reported and not run; a non-zero exit fails the task.
  run: Tagged
  // Raw command strings for commands built elsewhere (already quoted).
  exec(command: string, opts: ExecCall & { mutating: boolean }): Promise<ExecResult>
  file(...args: Args<typeof primitives.file>): Promise<Outcome>
  directory(...args: Args<typeof primitives.directory>): Promise<Outcome>
  absent(...args: Args<typeof primitives.absent>): Promise<Outcome>
  symlink(...args: Args<typeof primitives.symlink>): Promise<Outcome>
  packages(...args: Args<typeof primitives.packages>): Promise<Outcome>
  service(...args: Args<typeof primitives.service>): Promise<Outcome>
  // sha256 and size of a file (undefined when missing), cached by stat so big images are hashed once.
  sha256(path: string): Promise<FileSum | undefined>
  // Queue a handler of this role; it runs once at the end of the play.
  notify(handler: string): void
  // Record a change made outside the primitives (with run) that run alone cannot see.
  changed(message?: string): void
  fail(message: string): never
  skip(message: string): never
  warn(message: string): void
  // Free text for the live view of a long step.
  progress(text: string): void
  // A fact about this host worth remembering after the run (the image version it holds…): kept in the
  // run record (the report reads it). key: ^[a-z][a-z0-9_.-]*$, value ≤ 1000 chars.
  state(key: string, value: string): void
  // Hand a value to this role's play-scoped steps: `play.shared(h, key)` returns it for this host, until
  // the play ends (what a host task found, for the `once` step after it). Another role never sees it.
  share(key: string, value: unknown): void
}

// A play-scoped step sees every healthy host and decides for each.
export interface Play<V extends Vars = Vars> {
  readonly name: string
  readonly hosts: Array<Host<V>>
  readonly check: boolean
  // Commands on the controller (the multicast sender runs here).
  local: Tagged
  localExec(command: string, opts: ExecCall & { mutating: boolean }): Promise<ExecResult>
  // Mark one host failed without stopping the others.
  failHost(host: Host<V>, message: string): void
  // What this role's host tasks handed to this step with h.share(key, value) on `host`; undefined if none.
  shared<T = unknown>(host: Host<V>, key: string): T | undefined
  progress(text: string): void
}

export interface HostOptions {
  name: string
  vars: Vars
  facts: Facts | undefined
  check: boolean
  diff: boolean
  conn: Connection
  timeoutMs: number
  // --max-output, for every command that sets no maxOutputBytes of its own (default 16 MiB).
  maxOutputBytes?: number
  signal: AbortSignal
  progress: (text: string) => void
  // Where h.state reports go (the engine emits a host-state event); absent: nowhere.
  state?: (key: string, value: string) => void
  // Where h.share values go (the engine keeps them for the play's `once` steps); absent: nowhere.
  share?: (key: string, value: unknown) => void
}

// What a task starts with: its commands' timeout, and the host's facts once they are read.
export interface TaskStart {
  timeoutMs: number
  facts?: Facts
}

// A host context bound to one connection, for one role on one host; each task begins with beginTask.
export class HostContext implements Host<Vars> {
  private current: TaskRecord = newRecord()
  private timeoutMs: number
  readonly probe: Tagged
  readonly run: Tagged
  private readonly watchedVars: Vars

  constructor(private readonly opts: HostOptions) {
    this.timeoutMs = opts.timeoutMs
    this.watchedVars = watchSecretReads(opts.vars, () => (this.current.readSecret = true))
    this.probe = tagged((command, limits) => this.exec(command, { ...limits, mutating: false }))
    this.run = tagged((command, limits) => this.exec(command, { ...limits, mutating: true }))
  }

  // The engine's one way in: a new task starts here, with a fresh record of what it does (returned).
  beginTask(start: TaskStart): TaskRecord {
    this.current = newRecord()
    this.timeoutMs = start.timeoutMs
    if (start.facts) this.opts.facts = start.facts
    return this.current
  }

  // What the current task did so far.
  get record(): Readonly<TaskRecord> {
    return this.current
  }

  get name(): string {
    return this.opts.name
  }
  get vars(): Vars {
    return this.watchedVars
  }
  get check(): boolean {
    return this.opts.check
  }
  get diff(): boolean {
    return this.opts.diff
  }
  get facts(): Facts {
    if (!this.opts.facts) throw new TaskFailed('facts were not gathered (gather_facts: false) but this task reads them')
    return this.opts.facts
  }

  async exec(command: string, call: ExecCall & { mutating: boolean }): Promise<ExecResult> {
    const result = await this.raw(command, call)
    if (call.mutating && result.code !== 0) {
      const why = result.code === 124 ? 'timed out' : `exit ${result.code}`
      throw new StepError(`${firstLine(command)}: ${why}${tail(result.stderr || result.stdout)}`)
    }
    return result
  }

  // Runs (or, for a change in check mode, only reports) a command; exit codes are the caller's business,
  // output past the cap is not: the output is incomplete, so the step fails.
  private async raw(command: string, call: ExecCall & { mutating: boolean }): Promise<ExecResult> {
    const maxOutputBytes = call.maxOutputBytes ?? this.opts.maxOutputBytes
    if (maxOutputBytes !== undefined && !(Number.isInteger(maxOutputBytes) && maxOutputBytes >= 1 && maxOutputBytes <= MAX_OUTPUT_BYTES)) {
      throw new TaskFailed(`maxOutputBytes: expected a whole number from 1 to ${MAX_OUTPUT_BYTES}, got ${String(maxOutputBytes)}`)
    }
    if (call.mutating) {
      this.current.changed = true
      if (this.check) {
        this.current.messages.push(`would run: ${firstLine(command)}`)
        return { code: 0, stdout: '', stderr: '' }
      }
    }
    try {
      return await this.opts.conn.exec(command, {
        stdin: call.stdin,
        timeoutMs: call.timeoutMs ?? this.timeoutMs,
        maxOutputBytes,
        onStdout: call.onStdout,
        onStderr: call.onStderr,
        signal: this.opts.signal,
      })
    } catch (err) {
      if (err instanceof OutputLimitError) throw new StepError(`${firstLine(command)}: ${err.message}; the command was killed (--max-output raises the cap)`)
      throw err
    }
  }

  private io(): PrimitiveIO {
    const host = this
    return {
      probe: (command, stdin) => this.raw(command, { mutating: false, stdin }),
      run: (command, stdin) => this.raw(command, { mutating: true, stdin }),
      check: this.check,
      diff: this.diff,
      get facts() {
        return host.facts
      },
    }
  }

  private apply(outcome: Outcome): Outcome {
    if (outcome.changed) this.current.changed = true
    if (outcome.diff?.text) this.current.diffs.push(outcome.diff)
    if (outcome.message && outcome.changed) this.current.messages.push(outcome.message)
    return outcome
  }

  // A primitive's run marks the task changed only through its outcome, not through exec's flag.
  private async primitive<A extends unknown[]>(fn: (io: PrimitiveIO, ...args: A) => Promise<Outcome>, args: A): Promise<Outcome> {
    const before = this.current.changed
    const outcome = await fn(this.io(), ...args)
    this.current.changed = before
    return this.apply(outcome)
  }

  file(...args: Args<typeof primitives.file>) {
    return this.primitive(primitives.file, args)
  }
  directory(...args: Args<typeof primitives.directory>) {
    return this.primitive(primitives.directory, args)
  }
  absent(...args: Args<typeof primitives.absent>) {
    return this.primitive(primitives.absent, args)
  }
  symlink(...args: Args<typeof primitives.symlink>) {
    return this.primitive(primitives.symlink, args)
  }
  packages(...args: Args<typeof primitives.packages>) {
    return this.primitive(primitives.packages, args)
  }
  service(...args: Args<typeof primitives.service>) {
    return this.primitive(primitives.service, args)
  }

  sha256(path: string): Promise<FileSum | undefined> {
    return checksum(this.io(), path)
  }

  notify(handler: string): void {
    this.current.notified.add(handler)
  }
  changed(message?: string): void {
    this.current.changed = true
    if (message) this.current.messages.push(message)
  }
  fail(message: string): never {
    throw new TaskFailed(message)
  }
  skip(message: string): never {
    throw new TaskSkipped(message)
  }
  warn(message: string): void {
    this.current.warnings.push(message)
  }
  progress(text: string): void {
    this.opts.progress(text)
  }
  share(key: string, value: unknown): void {
    this.opts.share?.(key, value)
  }
  state(key: string, value: string): void {
    if (typeof key !== 'string' || !STATE_KEY.test(key)) throw new TaskFailed(`h.state: key ${JSON.stringify(key)}: expected a lowercase letter, then letters, digits, '_', '.' or '-'`)
    if (typeof value !== 'string' || value.length > STATE_VALUE_MAX) throw new TaskFailed(`h.state('${key}'): expected a string of at most ${STATE_VALUE_MAX} characters`)
    this.opts.state?.(key, value)
  }
}

// probe, run and play.local: a template runs `exec` with the limits given so far; limits first add to them.
export function tagged(exec: (command: string, limits: CommandLimits) => Promise<ExecResult>, limits: CommandLimits = {}): Tagged {
  const template = (first: TemplateStringsArray | CommandLimits, ...values: unknown[]) =>
    isTemplate(first) ? exec(shell(first, values), limits) : tagged(exec, { ...limits, ...first })
  return template as Tagged
}

function isTemplate(value: unknown): value is TemplateStringsArray {
  return Array.isArray(value) && 'raw' in value
}

const STATE_KEY = /^[a-z][a-z0-9_.-]*$/
const STATE_VALUE_MAX = 1000

function firstLine(command: string): string {
  const line = command.trim().split('\n')[0] ?? ''
  return line.length > 120 ? `${line.slice(0, 117)}...` : line
}

function tail(output: string): string {
  const text = output.trim()
  if (!text) return ''
  return `: ${text.length > 400 ? `...${text.slice(-400)}` : text}`
}
