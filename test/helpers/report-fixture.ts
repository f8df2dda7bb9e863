import Database from 'better-sqlite3'
import { openRecords } from '../../src/records/store.ts'
import { SEAT_ROLES } from './site.ts'

// A run record as labplay would have written it for a teaching lab, built with plain SQL following
// src/records/schema.ts, so the report can be tested (and pictured) without running anything.
// Seats are named without zero padding (m5-2, m5-10) so natural order is visible.

export const NEWEST_IMAGE = 'win11-2026.10'
export const OLD_IMAGE = 'win11-2026.9'
export const KERNEL = '6.1.0-26-amd64'
export const OLD_KERNEL = '6.1.0-25-amd64'
// Hostile on purpose: a message is whatever a host said.
export const FAILED_MESSAGE = 'qemu-img check failed: <script>alert("pwned")</script> & more'
export const UNREACHABLE_MESSAGE = 'ssh: connect to host {host} port 22: Connection refused'

// What happened to whom (names absent from the rooms are ignored).
export interface Anomalies {
  rebootPending: string[]
  failed: Record<string, string>
  unreachable: string[]
  oldImage: string[]
  noImage: string[]
  skipped: Record<string, string>
  neverRan: Record<string, string>
}

export const DEFAULT_ANOMALIES: Anomalies = {
  rebootPending: ['m5-3', 'm5-10', 'm6-2'],
  failed: { 'm5-7': 'vm-image', 'm6-3': 'kvm-module' },
  unreachable: ['m5-11', 'm6-8'],
  oldImage: ['m5-7', 'm5-11', 'm6-8'],
  noImage: ['m6-6'],
  skipped: { 'm6-6': 'samba-loopback' },
  neverRan: { 'm6-6': 'vm-image' },
}

export interface FixtureOptions {
  now: Date
  rooms?: Array<{ name: string; seats: number }>
  anomalies?: Anomalies
}

// The default: rooms m5 (12 seats) and m6 (8 seats), four runs: every host, then every room but m6,
// then m6, the last one a check run on m6-1 cut short.
export function writeReportFixture(path: string, opts: FixtureOptions): { hosts: string[] } {
  const rooms = opts.rooms ?? [{ name: 'm5', seats: 12 }, { name: 'm6', seats: 8 }]
  const ANOMALIES = opts.anomalies ?? DEFAULT_ANOMALIES
  const at = (hoursAgo: number) => new Date(opts.now.getTime() - hoursAgo * 3600_000).toISOString()
  const hosts = rooms.flatMap((r) => Array.from({ length: r.seats }, (_, i) => `${r.name}-${i + 1}`))
  // The store creates the file and its schema; the rows go in as plain SQL.
  openRecords(path).close()
  const db = new Database(path)
  const run = db.prepare(`INSERT INTO runs (id, playbook, command, user, started_at, check_mode, limit_pattern, tags)
    VALUES (?, '/srv/lab/playbooks/site.yml', ?, 'admin', ?, ?, ?, NULL)`)
  const end = db.prepare('UPDATE runs SET ended_at = ?, exit_code = ? WHERE id = ?')
  const runHost = db.prepare(`INSERT INTO run_hosts (run_id, host, status, ok, changed, failed, skipped, unreachable, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
  const task = db.prepare(`INSERT INTO task_results (run_id, host, seq, play, role, task, status, changed, duration_ms, message, diff)
    VALUES (?, ?, ?, 'Windows guest on every seat of the rooms', ?, ?, ?, ?, ?, ?, NULL)`)
  const role = db.prepare(`INSERT INTO role_state (host, role, last_status, last_run_id, last_at, success_run_id, success_at, success_inputs) VALUES (?, ?, ?, ?, ?, ?, ?, '{}')
    ON CONFLICT (host, role) DO UPDATE SET last_status = excluded.last_status, last_run_id = excluded.last_run_id, last_at = excluded.last_at,
      success_run_id = COALESCE(excluded.success_run_id, role_state.success_run_id), success_at = COALESCE(excluded.success_at, role_state.success_at)`)
  const host = db.prepare(`INSERT INTO hosts (host, last_run_id, last_run_at, last_status, last_message, contact_run_id, contact_at, facts, kernel_running, kernel_newest, macs, state)
    VALUES (?, ?, ?, ?, ?, ?, ?, '{}', ?, ?, ?, ?)
    ON CONFLICT (host) DO UPDATE SET last_run_id = excluded.last_run_id, last_run_at = excluded.last_run_at, last_status = excluded.last_status,
      last_message = excluded.last_message, contact_run_id = COALESCE(excluded.contact_run_id, hosts.contact_run_id),
      contact_at = COALESCE(excluded.contact_at, hosts.contact_at), kernel_running = COALESCE(excluded.kernel_running, hosts.kernel_running),
      kernel_newest = COALESCE(excluded.kernel_newest, hosts.kernel_newest), state = COALESCE(excluded.state, hosts.state)`)

  // One run over `names`: every role of every host in order, a failure stops that host, unreachable stops it at once.
  const record = (id: number, hoursAgo: number, limit: string | null, names: string[], final: boolean, check = false) => {
    if (names.length === 0) return
    const started = at(hoursAgo)
    const ended = final ? at(hoursAgo - 0.2) : null
    let exit = 0
    run.run(id, `labplay site.yml${limit ? ` -l ${limit}` : ''}${check ? ' -C' : ''}`, started, check ? 1 : 0, limit)
    names.forEach((name, n) => {
      const unreachable = id > 1 && ANOMALIES.unreachable.includes(name)
      const failedRole = id > 1 ? ANOMALIES.failed[name] : undefined
      let ok = 0, changed = 0, failed = 0, skipped = 0, seq = 0
      let message: string | null = null
      for (const r of SEAT_ROLES) {
        if (ANOMALIES.neverRan[name] === r) continue
        if (unreachable) {
          role.run(name, r, 'unreachable', id, started, null, null)
          continue
        }
        if (failed) break
        const status = failedRole === r ? 'failed' : ANOMALIES.skipped[name] === r ? 'skipped' : id === 1 && n % 3 === 0 ? 'changed' : 'ok'
        if (status === 'failed') (failed++, message = FAILED_MESSAGE)
        else if (status === 'skipped') skipped++
        else if (status === 'changed') changed++
        else ok++
        task.run(id, name, seq++, r, `${r}: main`, status, status === 'changed' ? 1 : 0, 800 + 37 * seq, status === 'failed' ? FAILED_MESSAGE : null)
        const success = status !== 'failed' && !check
        role.run(name, r, status, id, started, success ? id : null, success ? ended ?? started : null)
      }
      if (unreachable) message = UNREACHABLE_MESSAGE.replace('{host}', name)
      const status = unreachable ? 'unreachable' : failed ? 'failed' : !final ? 'interrupted' : changed ? 'changed' : 'ok'
      if (status === 'failed') exit = 2
      else if (status === 'unreachable' && exit === 0) exit = 4
      runHost.run(id, name, status, ok, changed, failed, skipped, unreachable ? 1 : 0, message)
      const image = ANOMALIES.noImage.includes(name) ? null : ANOMALIES.oldImage.includes(name) || id === 1 ? OLD_IMAGE : NEWEST_IMAGE
      const kernel = ANOMALIES.rebootPending.includes(name) ? OLD_KERNEL : KERNEL
      const mac = `52:54:00:00:${String(hosts.indexOf(name) >> 8).padStart(2, '0')}:${(hosts.indexOf(name) & 255).toString(16).padStart(2, '0')}`
      host.run(name, id, started, status, message, unreachable ? null : id, unreachable ? null : started,
        unreachable ? null : kernel, unreachable ? null : KERNEL, JSON.stringify([mac]), image === null ? null : JSON.stringify({ image }))
    })
    if (final) end.run(ended, exit, id)
  }

  db.transaction(() => {
    const inRoom = (room: string) => hosts.filter((h) => h.startsWith(`${room}-`))
    const second = rooms.map((r) => r.name).filter((r) => r !== 'm6')
    record(1, 72, null, hosts, true)
    record(2, 5, second.join(':'), second.flatMap(inRoom), true)
    record(3, 2, 'm6', inRoom('m6'), true)
    record(4, 1, 'm6-1', inRoom('m6').slice(0, 1), false, true)
  })()
  db.close()
  return { hosts }
}
