import type Database from 'better-sqlite3'
import { naturalCompare } from './natural.ts'
import { readRuns as readRunLines } from '../records/history.ts'

// One role on one host, as role_state last saw it.
export interface RoleCell {
  status: string
  lastAt: string
  lastRunId: number
  successAt?: string
}

// One row of the room view: what the host looked like at its last run and last contact.
export interface HostRow {
  host: string
  // Undefined: an inventory host no run ever reached (shown as "never run").
  lastStatus?: string
  lastRunId?: number
  lastRunAt?: string
  lastMessage?: string
  contactAt?: string
  kernelRunning?: string
  kernelNewest?: string
  rebootPending: boolean
  image?: string
  roles: Record<string, RoleCell>
}

// One line of the run list, as `labplay history` shows it.
export interface RunRow {
  id: number
  playbook: string
  user: string
  startedAt: string
  endedAt?: string
  exitCode?: number
  check: boolean
  limit?: string
  hosts: number
  // Hosts by their overall status in that run (ok, changed, failed, unreachable, interrupted).
  statuses: Record<string, number>
}

// An image version and the hosts that have it.
export interface ImageVersion {
  version: string
  hosts: string[]
}

// Everything the report page shows, as plain data: the HTML is a pure function of it.
export interface ReportData {
  generatedAt: string
  records: string
  pattern?: string
  roles: string[]
  hosts: HostRow[]
  counts: { hosts: number; ok: number; failing: number; unreachable: number; rebootPending: number; neverRun: number }
  rebootPending: HostRow[]
  unreachable: HostRow[]
  // Newest first (natural order of the version strings: 2026.10 after 2026.9).
  images: ImageVersion[]
  // Hosts without the newest image (another version, or none known), naturally sorted.
  lackingNewestImage: string[]
  runs: RunRow[]
}

export interface ReadOptions {
  // Shown in the header; the file the data came from.
  records: string
  pattern?: string
  // Recorded host names → the hosts to show (may add inventory hosts never recorded). Default: all.
  select?: (recorded: string[]) => string[]
  now?: Date
  // How many runs the run list shows.
  runs?: number
}

export const DEFAULT_RUNS = 20

interface HostDbRow {
  host: string
  last_run_id: number | null
  last_run_at: string | null
  last_status: string | null
  last_message: string | null
  contact_at: string | null
  kernel_running: string | null
  kernel_newest: string | null
  state: string | null
}

interface RoleDbRow {
  host: string
  role: string
  last_status: string
  last_run_id: number
  last_at: string
  success_at: string | null
}

// SQL → ReportData. Reads in one transaction so a run being recorded meanwhile is seen whole or not at all.
export function readReport(db: Database.Database, opts: ReadOptions): ReportData {
  return db.transaction(() => read(db, opts))()
}

function read(db: Database.Database, opts: ReadOptions): ReportData {
  const hostRows = db.prepare(`SELECT host, last_run_id, last_run_at, last_status, last_message, contact_at, kernel_running, kernel_newest, state FROM hosts`).all() as HostDbRow[]
  // role_state in rowid order is first-seen order (rows are upserted, never replaced): the playbook's order.
  const roleRows = db.prepare(`SELECT host, role, last_status, last_run_id, last_at, success_at FROM role_state ORDER BY rowid`).all() as RoleDbRow[]
  const byHost = new Map(hostRows.map((r) => [r.host, r]))
  const recorded = [...new Set([...hostRows.map((r) => r.host), ...roleRows.map((r) => r.host)])]
  const names = [...new Set(opts.select ? opts.select(recorded) : recorded)].sort(naturalCompare)
  const selected = new Set(names)

  const roles: string[] = []
  const cells = new Map<string, Record<string, RoleCell>>()
  for (const r of roleRows) {
    if (!selected.has(r.host)) continue
    if (!roles.includes(r.role)) roles.push(r.role)
    const cell: RoleCell = { status: r.last_status, lastAt: r.last_at, lastRunId: r.last_run_id }
    if (r.success_at) cell.successAt = r.success_at
    let row = cells.get(r.host)
    if (!row) cells.set(r.host, (row = {}))
    row[r.role] = cell
  }

  const hosts = names.map((name): HostRow => {
    const r = byHost.get(name)
    const row: HostRow = { host: name, rebootPending: false, roles: cells.get(name) ?? {} }
    if (!r) return row
    assign(row, 'lastStatus', r.last_status)
    assign(row, 'lastRunId', r.last_run_id)
    assign(row, 'lastRunAt', r.last_run_at)
    assign(row, 'lastMessage', r.last_message)
    assign(row, 'contactAt', r.contact_at)
    assign(row, 'kernelRunning', r.kernel_running)
    assign(row, 'kernelNewest', r.kernel_newest)
    row.rebootPending = !!r.kernel_running && !!r.kernel_newest && r.kernel_running !== r.kernel_newest
    assign(row, 'image', imageOf(r.state))
    return row
  })

  const versions = new Map<string, string[]>()
  for (const h of hosts) if (h.image !== undefined) versions.set(h.image, [...(versions.get(h.image) ?? []), h.host])
  const images = [...versions].map(([version, hs]) => ({ version, hosts: hs })).sort((a, b) => naturalCompare(b.version, a.version))
  const newest = images[0]?.version
  const unreachable = hosts.filter((h) => h.lastStatus === 'unreachable')
  const rebootPending = hosts.filter((h) => h.rebootPending)

  return {
    generatedAt: (opts.now ?? new Date()).toISOString(),
    records: opts.records,
    ...(opts.pattern ? { pattern: opts.pattern } : {}),
    roles,
    hosts,
    counts: {
      hosts: hosts.length,
      ok: hosts.filter((h) => h.lastStatus === 'ok' || h.lastStatus === 'changed').length,
      failing: hosts.filter((h) => h.lastStatus === 'failed').length,
      unreachable: unreachable.length,
      rebootPending: rebootPending.length,
      neverRun: hosts.filter((h) => h.lastStatus === undefined).length,
    },
    rebootPending,
    unreachable,
    images,
    lackingNewestImage: newest === undefined ? [] : hosts.filter((h) => h.image !== newest).map((h) => h.host),
    runs: readRuns(db, opts.select ? selected : undefined, opts.runs ?? DEFAULT_RUNS),
  }
}

// The last `limit` runs (with a host selection, those that reached one of them), as `labplay history`
// reads them: host counts become the pills of the page.
function readRuns(db: Database.Database, selected: Set<string> | undefined, limit: number): RunRow[] {
  return readRunLines(db, limit, selected).map((r) => {
    const statuses = Object.fromEntries(HOST_STATUSES.filter((s) => r[s] > 0).map((s) => [s, r[s]]))
    const row: RunRow = { id: r.id, playbook: r.playbook, user: r.user, startedAt: r.startedAt, check: r.check, hosts: r.hosts, statuses }
    assign(row, 'endedAt', r.endedAt)
    assign(row, 'exitCode', r.exitCode)
    assign(row, 'limit', r.limit)
    return row
  })
}

const HOST_STATUSES = ['ok', 'changed', 'failed', 'unreachable', 'interrupted'] as const

// hosts.state is a JSON object of h.state() reports; a damaged value is shown as no image, not a crash.
function imageOf(state: string | null): string | undefined {
  if (!state) return undefined
  try {
    const value = (JSON.parse(state) as Record<string, unknown>)?.image
    return value === undefined || value === null ? undefined : String(value)
  } catch {
    return undefined
  }
}

function assign<T, K extends keyof T>(target: T, key: K, value: T[K] | null | undefined): void {
  if (value !== null && value !== undefined) target[key] = value
}
