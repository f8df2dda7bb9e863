import type { Facts } from '../sdk/facts.types.ts'
import { MASK } from '../engine/redact.ts'
import { maskedExtraVars } from '../playbook/extra-vars.ts'
import type { HostSummary, Reporter, RunEvent, RunSummary, TaskRef } from '../engine/events.ts'
import { openRecords, type Records } from './db.ts'
import { DIFF_LIMIT } from './schema.ts'

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
  // Where the one warning goes when the record cannot be written; default stderr.
  warn?: (line: string) => void
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
// never fails the run: one warning on stderr, and the run goes on.
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
      const { db } = this.records
      this.runId = db.transaction(() => Number(db.prepare(
        `INSERT INTO runs (playbook, command, user, started_at, check_mode, limit_pattern, tags)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ).run(opts.playbook, opts.command, opts.user, this.now().toISOString(), opts.check ? 1 : 0, opts.limit ?? null, opts.tags?.length ? opts.tags.join(',') : null).lastInsertRowid))()
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
      const line = `[WARNING]: could not record this run in ${this.opts.path}: ${err instanceof Error ? err.message : String(err)}\n`
      if (this.opts.warn) this.opts.warn(line)
      else process.stderr.write(line)
    }
  }

  // Everything at the end of the run, in one transaction: the record has the whole run or only its start.
  private write(summary: RunSummary): void {
    const { db } = this.records!
    const runId = this.runId!
    const endedAt = this.now().toISOString()
    const q = {
      run: db.prepare('UPDATE runs SET ended_at = ?, exit_code = ? WHERE id = ?'),
      host: db.prepare(`INSERT INTO run_hosts (run_id, host, status, ok, changed, failed, skipped, unreachable, message)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      task: db.prepare(`INSERT INTO task_results (run_id, host, seq, play, role, task, status, changed, duration_ms, message, diff)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      last: db.prepare(`INSERT INTO hosts (host, last_run_id, last_run_at, last_status, last_message) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (host) DO UPDATE SET last_run_id = excluded.last_run_id, last_run_at = excluded.last_run_at,
          last_status = excluded.last_status, last_message = excluded.last_message`),
      contact: db.prepare(`UPDATE hosts SET contact_run_id = ?, contact_at = ?, facts = ?, kernel_running = ?, kernel_newest = ?, macs = ?
        WHERE host = ?`),
      stateOf: db.prepare('SELECT state FROM hosts WHERE host = ?'),
      state: db.prepare('UPDATE hosts SET state = ? WHERE host = ?'),
      role: db.prepare(`INSERT INTO role_state (host, role, last_status, last_run_id, last_at) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (host, role) DO UPDATE SET last_status = excluded.last_status, last_run_id = excluded.last_run_id, last_at = excluded.last_at`),
      success: db.prepare('UPDATE role_state SET success_run_id = ?, success_at = ?, success_inputs = ? WHERE host = ? AND role = ?'),
    }
    db.transaction(() => {
      q.run.run(endedAt, summary.exitCode, runId)
      for (const h of summary.hosts) {
        const status = hostStatus(h)
        const message = bound(this.hostMessage(h), MESSAGE_LIMIT)
        q.host.run(runId, h.host, status, h.ok, h.changed, h.failed, h.skipped, h.unreachable, message)
        h.tasks.forEach((t, seq) => {
          const diff = t.diff?.length ? bound(t.diff.map((d) => (d.endsWith('\n') ? d : `${d}\n`)).join(''), DIFF_LIMIT) : null
          q.task.run(runId, h.host, seq, t.play, t.role, t.task, t.status, t.changed ? 1 : 0, t.durationMs, bound(t.message, MESSAGE_LIMIT), diff)
        })
        q.last.run(h.host, runId, endedAt, status, message)
        const contact = this.facts.get(h.host)
        if (contact) {
          const { facts, at } = contact
          q.contact.run(runId, at, jsonWithin(facts, FACTS_JSON_LIMIT), bound(facts.kernel.running, KERNEL_LIMIT), bound(facts.kernel.newestInstalled, KERNEL_LIMIT),
            JSON.stringify(macs(facts).slice(0, MACS_LIMIT)), h.host)
        }
        const reported = this.state.get(h.host)
        if (reported) {
          const before = (q.stateOf.get(h.host) as { state: string | null } | undefined)?.state
          q.state.run(JSON.stringify({ ...parseObject(before), ...reported }), h.host)
        }
        for (const [role, roleStatus] of this.roleStatuses(h)) {
          if (this.leftOut.has(`${h.host}\0${role}`)) continue
          q.role.run(h.host, role, roleStatus, runId, endedAt)
          const success = roleStatus !== 'failed' && roleStatus !== 'unreachable' && roleStatus !== 'interrupted'
          if (success && !h.interrupted && !summary.check) {
            const inputs = this.inputs.get(`${h.host}\0${role}`)
            q.success.run(runId, endedAt, inputs ? jsonWithin(inputs, INPUTS_JSON_LIMIT) : null, h.host, role)
          }
        }
      }
    })()
  }

  private hostMessage(h: HostSummary): string | undefined {
    const failed = h.tasks.find((t) => t.status === 'failed' || t.status === 'unreachable')
    if (failed) return `${failed.role ? `${failed.role} : ` : ''}${failed.task}: ${failed.message ?? failed.status}`
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

function parseObject(text: string | null | undefined): Record<string, unknown> {
  if (!text) return {}
  try {
    const v = JSON.parse(text) as unknown
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {}
  } catch {
    return {}
  }
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
