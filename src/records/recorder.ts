import type { Facts } from '../sdk/facts.types.ts'
import { MASK } from '../engine/redact.ts'
import { maskedExtraVars } from '../playbook/extra-vars.ts'
import { taskLabel } from '../output/text.ts'
import type { HostSummary, Reporter, RunEvent, RunSummary, TaskRef } from '../engine/events.ts'
import type { HostEnd } from './rows.ts'
import { DIFF_LIMIT } from './schema.ts'
import { openRecords, type Records } from './store.ts'

// What the run record needs that the events do not say.
export interface RecorderOptions {
  // The database file (recordsPath()).
  path: string
  // Absolute path of the playbook.
  playbook: string
  // The command line, already redacted (commandLine()).
  command: string
  user: string
  check: boolean
  limit?: string
  tags?: string[]
  // Where the one warning goes when the record cannot be written (the CLI's terminal boundary: it quotes paths and SQLite).
  warn: (line: string) => void
  // Tests: another clock.
  now?: () => Date
}

// Messages longer than this are cut: a stack trace at -vvv is not worth megabytes per host.
export const MESSAGE_LIMIT = 16 * 1024
// What a seat sends is bounded before it gets here (facts: FACTS_LIMIT); the record bounds every column
// again, so no host can make a row too big to write (SQLite refuses rows past 1 GB: the whole run is lost).
// A JSON column past its limit is left empty rather than cut into invalid JSON.
export const FACTS_JSON_LIMIT = 1024 * 1024
export const KERNEL_LIMIT = 256
export const MACS_LIMIT = 32
export const INPUTS_JSON_LIMIT = 256 * 1024

type Status = 'ok' | 'changed' | 'failed' | 'skipped' | 'unreachable' | 'interrupted'

// A reporter in front of the real one: every event goes on unchanged, and the run is written to the
// record: its row when it starts (so a killed run still shows, unfinished), everything else in one
// transaction when it ends. Events arrive redacted, so the record holds no secret. Writing the record
// never fails the run: one warning (opts.warn), and the run goes on.
export function createRecorder(inner: Reporter, opts: RecorderOptions): Reporter {
  return new Recorder(inner, opts)
}

class Recorder implements Reporter {
  private records?: Records
  private runId?: number
  private warned = false
  private readonly facts = new Map<string, { facts: Facts; at: string }>()
  private readonly state = new Map<string, Record<string, string>>()
  private readonly inputs = new Map<string, Record<string, unknown>>()
  // host\0role pairs that --stale left out of this run.
  private readonly leftOut = new Set<string>()
  private readonly unreachable = new Map<string, string>()
  // Per host: the tasks of its current play, and those it ended (to tell a finished role from a cut one).
  private readonly planned = new Map<string, TaskRef[]>()
  private readonly ended = new Map<string, Set<number>>()
  private readonly now: () => Date

  constructor(
    private readonly inner: Reporter,
    private readonly opts: RecorderOptions,
  ) {
    this.now = opts.now ?? (() => new Date())
    this.guard(() => {
      this.records = openRecords(opts.path)
      this.runId = this.records.startRun({
        playbook: opts.playbook, command: opts.command, user: opts.user, startedAt: this.now().toISOString(), check: opts.check, limit: opts.limit, tags: opts.tags,
      })
    })
  }

  event(e: RunEvent): void {
    this.inner.event(e)
    try {
      this.collect(e)
    } catch {
      // Collecting is plain bookkeeping; nothing here may break the run.
    }
  }

  async finish(summary: RunSummary): Promise<void> {
    try {
      await this.inner.finish(summary)
    } finally {
      if (this.runId !== undefined) this.guard(() => this.write(summary))
      try {
        this.records?.close()
      } catch {
        // Already closed or never opened.
      }
    }
  }

  private collect(e: RunEvent): void {
    switch (e.type) {
      case 'play-start':
        for (const host of e.hosts) {
          this.planned.set(host, e.tasks)
          this.ended.set(host, new Set())
        }
        break
      case 'task-end':
        this.ended.get(e.host)?.add(e.task.index)
        break
      case 'host-unreachable':
        this.unreachable.set(e.host, e.message)
        break
      case 'facts':
        if (!this.facts.has(e.host)) this.facts.set(e.host, { facts: e.facts, at: this.now().toISOString() })
        break
      case 'host-state':
        this.state.set(e.host, { ...this.state.get(e.host), [e.key]: e.value })
        break
      case 'role-inputs':
        // The inputs a role's success is recorded with (--stale compares against them).
        this.inputs.set(`${e.host}\0${e.role}`, e.inputs)
        break
      case 'role-selected':
        // A role --stale left out did nothing: its record keeps the run that did the work.
        if (!e.run) this.leftOut.add(`${e.host}\0${e.role}`)
        break
    }
  }

  private guard(fn: () => void): void {
    try {
      fn()
    } catch (err) {
      this.runId = undefined
      if (this.warned) return
      this.warned = true
      this.opts.warn(`[WARNING]: could not record this run in ${this.opts.path}: ${err instanceof Error ? err.message : String(err)}\n`)
    }
  }

  // Everything at the end of the run, in one transaction (the store's): the record has the whole run or only its start.
  private write(summary: RunSummary): void {
    const endedAt = this.now().toISOString()
    this.records!.finishRun(this.runId!, { endedAt, exitCode: summary.exitCode, hosts: summary.hosts.map((h) => this.hostEnd(h, summary.check)) })
  }

  // One host's rows, every column bounded.
  private hostEnd(h: HostSummary, check: boolean): HostEnd {
    const contact = this.facts.get(h.host)
    const roles: HostEnd['roles'] = []
    for (const [role, status] of this.roleStatuses(h)) {
      if (this.leftOut.has(`${h.host}\0${role}`)) continue
      const success = status !== 'failed' && status !== 'unreachable' && status !== 'interrupted' && !h.interrupted && !check
      const inputs = this.inputs.get(`${h.host}\0${role}`)
      roles.push(success ? { role, status, success: { inputs: inputs ? jsonWithin(inputs, INPUTS_JSON_LIMIT) : null } } : { role, status })
    }
    return {
      host: h.host, status: hostStatus(h), ok: h.ok, changed: h.changed, failed: h.failed, skipped: h.skipped, unreachable: h.unreachable,
      message: bound(this.hostMessage(h), MESSAGE_LIMIT),
      tasks: h.tasks.map((t) => ({
        play: t.play, role: t.role, task: t.task, status: t.status, changed: t.changed, durationMs: t.durationMs, message: bound(t.message, MESSAGE_LIMIT),
        diff: t.diff?.length ? bound(t.diff.map((d) => (d.endsWith('\n') ? d : `${d}\n`)).join(''), DIFF_LIMIT) : null,
      })),
      ...(contact ? {
        contact: {
          at: contact.at, facts: jsonWithin(contact.facts, FACTS_JSON_LIMIT), kernelRunning: bound(contact.facts.kernel.running, KERNEL_LIMIT),
          kernelNewest: bound(contact.facts.kernel.newestInstalled, KERNEL_LIMIT), macs: macs(contact.facts).slice(0, MACS_LIMIT),
        },
      } : {}),
      ...(this.state.has(h.host) ? { state: this.state.get(h.host) } : {}),
      roles,
    }
  }

  private hostMessage(h: HostSummary): string | undefined {
    const failed = h.tasks.find((t) => t.status === 'failed' || t.status === 'unreachable')
    if (failed) return `${taskLabel({ role: failed.role, name: failed.task })}: ${failed.message ?? failed.status}`
    if (h.unreachable) return this.unreachable.get(h.host) ?? 'unreachable'
    return undefined
  }

  // Each role the host ran tasks of (Gathering Facts belongs to none): its outcome in this run.
  private roleStatuses(h: HostSummary): Map<string, Status> {
    const byRole = new Map<string, Array<HostSummary['tasks'][number]>>()
    for (const t of h.tasks) if (t.role) byRole.set(t.role, [...(byRole.get(t.role) ?? []), t])
    const out = new Map<string, Status>()
    for (const [role, tasks] of byRole) {
      const has = (s: string) => tasks.some((t) => t.status === s)
      out.set(role, has('failed') ? 'failed'
        : has('unreachable') ? 'unreachable'
          : h.interrupted && !this.roleFinished(h.host, role) ? 'interrupted'
            : has('changed') ? 'changed'
              : has('ok') ? 'ok' : 'skipped')
    }
    return out
  }

  // Every task of the role in the host's last play ended (handlers may not run: they are not counted).
  private roleFinished(host: string, role: string): boolean {
    const ended = this.ended.get(host) ?? new Set<number>()
    return (this.planned.get(host) ?? []).filter((r) => r.role === role && !r.handler).every((r) => ended.has(r.index))
  }
}

// The host's line in run_hosts, from the most to the least serious.
export function hostStatus(h: HostSummary): Status {
  if (h.unreachable > 0) return 'unreachable'
  if (h.failed > 0) return 'failed'
  if (h.interrupted) return 'interrupted'
  if (h.changed > 0) return 'changed'
  return 'ok'
}

// The host's MAC addresses, for Wake-on-LAN: real interfaces only, each once.
export function macs(facts: Facts): string[] {
  const seen = facts.interfaces.map((i) => i.mac.toLowerCase()).filter((m) => /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(m) && m !== '00:00:00:00:00:00')
  return [...new Set(seen)]
}

// At most `limit` bytes of UTF-8 (never half a character), with a marker when cut.
export function bound(text: string | undefined, limit: number): string | null {
  if (text === undefined) return null
  const bytes = Buffer.from(text, 'utf8')
  if (bytes.length <= limit) return text
  let end = limit
  // Back up to the start of a character: continuation bytes are 10xxxxxx.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--
  return `${bytes.subarray(0, end).toString('utf8')}\n… (truncated)`
}

// JSON of at most `limit` bytes, or null (a role without recorded inputs simply runs again under --stale).
function jsonWithin(value: unknown, limit: number): string | null {
  let json: string
  try {
    json = JSON.stringify(value)
  } catch {
    return null // past the longest string JavaScript can make
  }
  return Buffer.byteLength(json) <= limit ? json : null
}

// The command line as the user typed it, shell-quoted where needed, secrets masked: each -e value by its structure
// (`extraVars`: the values as given; secret-named keys masked whatever their value's length, JSON/YAML written
// again), then every word by `redact` (the CLI's redactor: every known secret, in each written form).
export function commandLine(argv: string[], redact: (s: string) => string, extraVars: string[] = []): string {
  const given = new Set(extraVars)
  const structured = (word: string): string => {
    if (given.has(word)) return maskedExtraVars(word, MASK)
    if (word.startsWith('--extra-vars=') && given.has(word.slice(13))) return `--extra-vars=${maskedExtraVars(word.slice(13), MASK)}`
    return word
  }
  return ['labplay', ...argv].map((word) => redact(structured(word))).map((a) => (/^[\w@%+=:,./*-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ')
}
