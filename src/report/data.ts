import type { SeatVars } from '../inventory/rooms.ts'
import type { Records } from '../records/store.ts'
import { naturalCompare } from './natural.ts'
import { layRooms, type Room } from './rooms.ts'

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
  // It reported an image version older than the newest any host reported.
  imageBehind: boolean
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
  // The room view's blocks; every host of `hosts` is a seat of exactly one.
  rooms: Room[]
  counts: { hosts: number; ok: number; failing: number; unreachable: number; rebootPending: number; imageBehind: number; neverRun: number }
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
  // The shown hosts → their rooms and seat positions from the inventory (src/inventory/rooms.ts). Default: none, rooms by name.
  seats?: (hosts: string[]) => Map<string, SeatVars>
  now?: Date
  // How many runs the run list shows.
  runs?: number
}

export const DEFAULT_RUNS = 20

// The record → ReportData, read in one snapshot so a run being recorded meanwhile is seen whole or not at all.
export function readReport(records: Records, opts: ReadOptions): ReportData {
  return records.snapshot(() => read(records, opts))
}

function read(records: Records, opts: ReadOptions): ReportData {
  const hostRows = records.hostRecords()
  // In first-seen order: the playbook's order.
  const roleRows = records.roleStates()
  const byHost = new Map(hostRows.map((r) => [r.host, r]))
  const recorded = [...new Set([...hostRows.map((r) => r.host), ...roleRows.map((r) => r.host)])]
  const names = [...new Set(opts.select ? opts.select(recorded) : recorded)].sort(naturalCompare)
  const selected = new Set(names)

  const roles: string[] = []
  const cells = new Map<string, Record<string, RoleCell>>()
  for (const r of roleRows) {
    if (!selected.has(r.host)) continue
    if (!roles.includes(r.role)) roles.push(r.role)
    const cell: RoleCell = { status: r.lastStatus, lastAt: r.lastAt, lastRunId: r.lastRunId }
    if (r.successAt) cell.successAt = r.successAt
    let row = cells.get(r.host)
    if (!row) cells.set(r.host, (row = {}))
    row[r.role] = cell
  }

  const hosts = names.map((name): HostRow => {
    const r = byHost.get(name)
    const row: HostRow = { host: name, rebootPending: false, imageBehind: false, roles: cells.get(name) ?? {} }
    if (!r) return row
    assign(row, 'lastStatus', r.lastStatus)
    assign(row, 'lastRunId', r.lastRunId)
    assign(row, 'lastRunAt', r.lastRunAt)
    assign(row, 'lastMessage', r.lastMessage)
    assign(row, 'contactAt', r.contactAt)
    assign(row, 'kernelRunning', r.kernelRunning)
    assign(row, 'kernelNewest', r.kernelNewest)
    row.rebootPending = !!r.kernelRunning && !!r.kernelNewest && r.kernelRunning !== r.kernelNewest
    assign(row, 'image', r.state.image === undefined || r.state.image === null ? undefined : String(r.state.image))
    return row
  })

  const versions = new Map<string, string[]>()
  for (const h of hosts) if (h.image !== undefined) versions.set(h.image, [...(versions.get(h.image) ?? []), h.host])
  const images = [...versions].map(([version, hs]) => ({ version, hosts: hs })).sort((a, b) => naturalCompare(b.version, a.version))
  const newest = images[0]?.version
  for (const h of hosts) h.imageBehind = h.image !== undefined && h.image !== newest
  const unreachable = hosts.filter((h) => h.lastStatus === 'unreachable')
  const rebootPending = hosts.filter((h) => h.rebootPending)

  return {
    generatedAt: (opts.now ?? new Date()).toISOString(),
    records: opts.records,
    ...(opts.pattern ? { pattern: opts.pattern } : {}),
    roles,
    hosts,
    rooms: layRooms(names, opts.seats?.(names) ?? new Map()),
    counts: {
      hosts: hosts.length,
      ok: hosts.filter((h) => h.lastStatus === 'ok' || h.lastStatus === 'changed').length,
      failing: hosts.filter((h) => h.lastStatus === 'failed').length,
      unreachable: unreachable.length,
      rebootPending: rebootPending.length,
      imageBehind: hosts.filter((h) => h.imageBehind).length,
      neverRun: hosts.filter((h) => h.lastStatus === undefined).length,
    },
    rebootPending,
    unreachable,
    images,
    lackingNewestImage: newest === undefined ? [] : hosts.filter((h) => h.image !== newest).map((h) => h.host),
    runs: runRows(records, opts.select ? selected : undefined, opts.runs ?? DEFAULT_RUNS),
  }
}

// The last `limit` runs (with a host selection, those that reached one of them), as `labplay history`
// reads them: host counts become the pills of the page.
function runRows(records: Records, selected: Set<string> | undefined, limit: number): RunRow[] {
  return records.runs(limit, selected).map((r) => {
    const statuses = Object.fromEntries(HOST_STATUSES.filter((s) => r[s] > 0).map((s) => [s, r[s]]))
    const row: RunRow = { id: r.id, playbook: r.playbook, user: r.user, startedAt: r.startedAt, check: r.check, hosts: r.hosts, statuses }
    assign(row, 'endedAt', r.endedAt)
    assign(row, 'exitCode', r.exitCode)
    assign(row, 'limit', r.limit)
    return row
  })
}

const HOST_STATUSES = ['ok', 'changed', 'failed', 'unreachable', 'interrupted'] as const

function assign<T, K extends keyof T>(target: T, key: K, value: T[K] | null | undefined): void {
  if (value !== null && value !== undefined) target[key] = value
}
