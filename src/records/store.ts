import Database from 'better-sqlite3'
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { InputError } from '../errors.ts'
import { SCHEMA, SCHEMA_VERSION } from './schema.ts'
import type { HostEnd, HostRecord, ImageHolding, RoleState, RunDetail, RunEnd, RunLine, RunStart, TaskLine } from './rows.ts'

// Reading the record before any run wrote it: a clear line for the user, not a SQLite error.
export class NoRecordsError extends InputError {}

// Opens the run record (a writer: creates the folder 0700, the file 0600 and the schema) with WAL and a
// busy timeout, so two labplay runs at once wait for each other instead of failing. Readers never create anything.
export function openRecords(path: string, opts: { readonly?: boolean } = {}): Records {
  const file = resolve(path)
  if (opts.readonly) {
    if (!existsSync(file)) throw new NoRecordsError(`no runs recorded yet at ${file}`)
  } else {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
    // Facts and command lines are nobody else's business: the file (and SQLite's -wal/-shm, which copy its mode) is 0600.
    if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600))
  }
  const db = new Database(file, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false })
  try {
    db.pragma('busy_timeout = 5000')
    if (!opts.readonly) {
      db.pragma('journal_mode = WAL')
      db.pragma('foreign_keys = ON')
      db.transaction(() => {
        db.exec(SCHEMA)
        db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run('schema_version', String(SCHEMA_VERSION))
      })()
    }
    checkVersion(db, file)
  } catch (err) {
    db.close()
    throw err
  }
  return new Records(db, file)
}

// The run record, opened: the only place that knows its tables (src/records/schema.ts). Every query is a
// method with typed rows; readers (history, show, report, --stale, --wake) and the recorder call these.
export class Records {
  constructor(
    private readonly db: Database.Database,
    readonly path: string,
  ) {}

  close(): void {
    this.db.close()
  }

  // `read` in one transaction: a run being recorded meanwhile is seen whole or not at all.
  snapshot<T>(read: () => T): T {
    return this.db.transaction(read)()
  }

  // Every host a run reached.
  hostNames(): string[] {
    return this.db.prepare('SELECT host FROM run_hosts UNION SELECT host FROM hosts').pluck().all() as string[]
  }

  // The newest `last` runs with their hosts counted by outcome; with `hosts`, only runs that touched one of
  // them, plus runs that never finished (their hosts are unknown: only a finished run writes them).
  runs(last: number, hosts?: Set<string>): RunLine[] {
    const where = hosts ? 'WHERE r.ended_at IS NULL OR r.id IN (SELECT run_id FROM run_hosts WHERE host IN (SELECT value FROM json_each(?)))' : ''
    const rows = this.db.prepare(`
      SELECT r.id, r.playbook, r.command, r.user, r.started_at AS startedAt, r.ended_at AS endedAt, r.exit_code AS exitCode,
        r.check_mode AS checkMode, r.limit_pattern AS "limit", r.tags,
        COUNT(h.host) AS hosts,
        COALESCE(SUM(h.status = 'ok'), 0) AS ok, COALESCE(SUM(h.status = 'changed'), 0) AS changed,
        COALESCE(SUM(h.status = 'failed'), 0) AS failed, COALESCE(SUM(h.status = 'unreachable'), 0) AS unreachable,
        COALESCE(SUM(h.status = 'interrupted'), 0) AS interrupted
      FROM runs r LEFT JOIN run_hosts h ON h.run_id = r.id
      ${where}
      GROUP BY r.id ORDER BY r.id DESC LIMIT ?`).all(...(hosts ? [JSON.stringify([...hosts])] : []), last) as Array<Omit<RunLine, 'check' | 'durationMs'> & { checkMode: number }>
    return rows.map(({ checkMode, ...r }) => ({
      ...r,
      check: checkMode === 1,
      durationMs: r.endedAt ? Date.parse(r.endedAt) - Date.parse(r.startedAt) : null,
    }))
  }

  // The newest run (that touched one of `hosts`, when given).
  lastRunId(hosts?: Set<string>): number | undefined {
    const id = hosts
      ? this.db.prepare('SELECT MAX(run_id) FROM run_hosts WHERE host IN (SELECT value FROM json_each(?))').pluck().get(JSON.stringify([...hosts]))
      : this.db.prepare('SELECT MAX(id) FROM runs').pluck().get()
    return typeof id === 'number' ? id : undefined
  }

  // One run, its hosts (those in `hosts`, when given) in run order, each with its tasks in the order they ran.
  run(id: number, hosts?: Set<string>): RunDetail | undefined {
    const run = this.db.prepare(`SELECT id, playbook, command, user, started_at AS startedAt, ended_at AS endedAt, exit_code AS exitCode,
      check_mode AS "check", limit_pattern AS "limit", tags FROM runs WHERE id = ?`).get(id) as (Omit<RunDetail, 'check' | 'hosts'> & { check: number }) | undefined
    if (!run) return undefined
    const rows = (this.db.prepare('SELECT host, status, ok, changed, failed, skipped, unreachable, message FROM run_hosts WHERE run_id = ? ORDER BY rowid')
      .all(id) as Array<Omit<RunDetail['hosts'][number], 'tasks'>>).filter((h) => !hosts || hosts.has(h.host))
    const tasks = this.db.prepare(`SELECT play, role, task, status, changed, duration_ms AS durationMs, message, diff FROM task_results
      WHERE run_id = ? AND host = ? ORDER BY seq`)
    return {
      ...run,
      check: run.check === 1,
      hosts: rows.map((h) => ({
        ...h,
        tasks: (tasks.all(id, h.host) as Array<Omit<TaskLine, 'changed'> & { changed: number }>).map((t) => ({ ...t, changed: t.changed === 1 })),
      })),
    }
  }

  // Every host's last run and last contact.
  hostRecords(): HostRecord[] {
    const rows = this.db.prepare(`SELECT host, last_run_id AS lastRunId, last_run_at AS lastRunAt, last_status AS lastStatus, last_message AS lastMessage,
      contact_at AS contactAt, kernel_running AS kernelRunning, kernel_newest AS kernelNewest, state FROM hosts`).all() as Array<Omit<HostRecord, 'state'> & { state: string | null }>
    return rows.map((r) => ({ ...r, state: parseObject(r.state) }))
  }

  // What each host holds of the image: vm-image reports the verified version as h.state('image') and the
  // versions it keeps on disk as h.state('images'), space-separated, oldest first.
  imageHoldings(): ImageHolding[] {
    return this.hostRecords().map(({ host, state, lastRunAt }) => {
      const current = typeof state.image === 'string' && state.image ? state.image : null
      const kept = typeof state.images === 'string' ? state.images.split(' ').filter(Boolean) : []
      return { host, current, kept: current && !kept.includes(current) ? [...kept, current] : kept, lastRunAt }
    })
  }

  // Every host and role's last outcome and last success, in first-seen order (rows are upserted, never
  // replaced: the playbook's order).
  roleStates(): RoleState[] {
    return this.db.prepare(`SELECT host, role, last_status AS lastStatus, last_run_id AS lastRunId, last_at AS lastAt, success_run_id AS successRunId,
      success_at AS successAt, success_inputs AS successInputs FROM role_state ORDER BY rowid`).all() as RoleState[]
  }

  // The MACs recorded for `hosts` at their last contact; a host never reached, or without one, is absent.
  macs(hosts: string[]): Map<string, string[]> {
    const rows = this.db.prepare('SELECT host, macs FROM hosts WHERE host IN (SELECT value FROM json_each(?))').all(JSON.stringify(hosts)) as Array<{ host: string; macs: string | null }>
    const out = new Map<string, string[]>()
    for (const row of rows) {
      const macs = parseArray(row.macs).filter((m): m is string => typeof m === 'string')
      if (macs.length) out.set(row.host, macs)
    }
    return out
  }

  // A run's row as it starts, so a run that is killed still shows (not finished); its id.
  startRun(run: RunStart): number {
    return this.db.transaction(() => Number(this.db.prepare(
      `INSERT INTO runs (playbook, command, user, started_at, check_mode, limit_pattern, tags) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(run.playbook, run.command, run.user, run.startedAt, run.check ? 1 : 0, run.limit ?? null, run.tags?.length ? run.tags.join(',') : null).lastInsertRowid))()
  }

  // Everything else at the end of the run, in one transaction: the record has the whole run or only its start.
  finishRun(runId: number, end: RunEnd): void {
    const { db } = this
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
      stateOf: db.prepare('SELECT state FROM hosts WHERE host = ?').pluck(),
      state: db.prepare('UPDATE hosts SET state = ? WHERE host = ?'),
      role: db.prepare(`INSERT INTO role_state (host, role, last_status, last_run_id, last_at) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (host, role) DO UPDATE SET last_status = excluded.last_status, last_run_id = excluded.last_run_id, last_at = excluded.last_at`),
      success: db.prepare('UPDATE role_state SET success_run_id = ?, success_at = ?, success_inputs = ? WHERE host = ? AND role = ?'),
    }
    const host = (h: HostEnd) => {
      q.host.run(runId, h.host, h.status, h.ok, h.changed, h.failed, h.skipped, h.unreachable, h.message)
      h.tasks.forEach((t, seq) => q.task.run(runId, h.host, seq, t.play, t.role, t.task, t.status, t.changed ? 1 : 0, t.durationMs, t.message, t.diff))
      q.last.run(h.host, runId, end.endedAt, h.status, h.message)
      const c = h.contact
      if (c) q.contact.run(runId, c.at, c.facts, c.kernelRunning, c.kernelNewest, JSON.stringify(c.macs), h.host)
      // h.state reports add to what earlier runs reported: the image a host holds stays known when a run skips vm-image.
      if (h.state) q.state.run(JSON.stringify({ ...parseObject(q.stateOf.get(h.host) as string | null | undefined), ...h.state }), h.host)
      for (const r of h.roles) {
        q.role.run(h.host, r.role, r.status, runId, end.endedAt)
        if (r.success) q.success.run(runId, end.endedAt, r.success.inputs, h.host, r.role)
      }
    }
    db.transaction(() => {
      q.run.run(end.endedAt, end.exitCode, runId)
      end.hosts.forEach(host)
    })()
  }
}

// A record written by a newer labplay is not read (or written) by an older one.
function checkVersion(db: Database.Database, file: string): void {
  const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get()
  if (!hasMeta) throw new NoRecordsError(`no runs recorded yet at ${file}`)
  const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined
  const version = Number(row?.value ?? 0)
  if (version > SCHEMA_VERSION) throw new InputError(`${file}: run record of schema version ${version}, this labplay reads version ${SCHEMA_VERSION} at most (upgrade labplay)`)
}

// A JSON column read back; a damaged value reads as empty, never as a crash.
function parseObject(text: string | null | undefined): Record<string, unknown> {
  const v = parseJson(text)
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {}
}

function parseArray(text: string | null | undefined): unknown[] {
  const v = parseJson(text)
  return Array.isArray(v) ? v : []
}

function parseJson(text: string | null | undefined): unknown {
  if (!text) return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}
