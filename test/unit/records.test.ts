import test from 'ava'
import Database from 'better-sqlite3'
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { HostSummary, Reporter, RunEvent, RunSummary, TaskRef, TaskResult } from '../../src/engine/events.ts'
import { recordsPath } from '../../src/records/path.ts'
import { NoRecordsError, openRecords } from '../../src/records/store.ts'
import { formatRun } from '../../src/commands/history.ts'
import { bound, commandLine, createRecorder, hostStatus, KERNEL_LIMIT, MACS_LIMIT, MESSAGE_LIMIT, type RecorderOptions } from '../../src/records/recorder.ts'
import { DIFF_LIMIT } from '../../src/records/schema.ts'
import { worstFirst } from '../../src/commands/show.ts'
import type { Facts } from '../../src/sdk/facts.types.ts'

// The recorder fed with synthetic events: what lands in which table, when, and what never does.

const dirs: string[] = []
test.after.always(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

function dbPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'labplay-records-'))
  dirs.push(dir)
  return join(dir, 'state', 'runs.db')
}

// The real reporter's stand-in: keeps what it got.
function sink(): Reporter & { events: RunEvent[]; finished: RunSummary[] } {
  const events: RunEvent[] = []
  const finished: RunSummary[] = []
  return { events, finished, event: (e) => void events.push(e), finish: async (s) => void finished.push(s) }
}

const ref = (index: number, role: string, name: string, handler = false): TaskRef => ({ index, role, name, once: false, handler })
const FACTS_REF = ref(0, '', 'Gathering Facts')
const A1 = ref(1, 'alpha', 'alpha one')
const A2 = ref(2, 'alpha', 'alpha two')
const B1 = ref(3, 'beta', 'beta one')
const TASKS = [FACTS_REF, A1, A2, B1]

function facts(host: string, kernel = '6.1.0-13-amd64', newest = kernel): Facts {
  return {
    hostname: host,
    os: { id: 'debian', version: '12', codename: 'bookworm', pretty: 'Debian 12' },
    kernel: { running: kernel, installed: [kernel, newest], newestInstalled: newest },
    cpu: { count: 4, model: 'x', vendor: 'GenuineIntel', virtFlags: ['vmx'] },
    memory: { totalMb: 8000 },
    init: 'sysv',
    interfaces: [
      { name: 'lo', mac: '00:00:00:00:00:00', addresses: ['127.0.0.1/8'] },
      { name: 'eth0', mac: '52:54:00:AA:BB:01', addresses: ['10.0.0.5/24'] },
    ],
    kvm: { device: true, builtin: true, loadedModules: [] },
    user: 'root',
    uid: 0,
    home: '/root',
    arch: 'x86_64',
    defaultRoute: null,
  }
}

const result = (status: TaskResult['status'], extra: Partial<TaskResult> = {}): TaskResult => ({ status, changed: status === 'changed', durationMs: 12, ...extra })

// A host's run: task-end events in order, and the summary the engine would build from them.
interface HostPlan {
  host: string
  results: Array<[TaskRef, TaskResult]>
  facts?: Facts
  interrupted?: boolean
  unreachable?: string
}

function summaryOf(h: HostPlan): HostSummary {
  const s: HostSummary = { host: h.host, ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, tasks: [], warnings: [] }
  for (const [r, res] of h.results) {
    if (res.status === 'ok' || res.status === 'changed') s.ok++
    if (res.status === 'changed') s.changed++
    if (res.status === 'failed') s.failed++
    if (res.status === 'skipped') s.skipped++
    if (res.status === 'unreachable') s.unreachable++
    s.tasks.push({ play: 'play', role: r.role, task: r.name, ...res })
  }
  if (h.unreachable && !h.results.length) s.unreachable++
  if (h.interrupted) s.interrupted = true
  return s
}

interface Simulated {
  inner: ReturnType<typeof sink>
  warnings: string[]
  recorder: Reporter
  summary: RunSummary
}

// Feeds a whole run through a recorder (minus finish, so tests can look in between).
function simulate(path: string, hosts: HostPlan[], opts: Partial<RecorderOptions> & { extra?: RunEvent[]; exitCode?: number } = {}): Simulated {
  const inner = sink()
  const warnings: string[] = []
  const recorder = createRecorder(inner, { path, playbook: '/p/site.yml', command: 'labplay site.yml', user: 'alice', check: false, warn: (l) => warnings.push(l), ...opts })
  recorder.event({ type: 'play-start', play: 'play', hosts: hosts.map((h) => h.host), tasks: TASKS })
  for (const h of hosts) {
    recorder.event({ type: 'host-start', host: h.host })
    if (h.unreachable) recorder.event({ type: 'host-unreachable', host: h.host, message: h.unreachable })
    if (h.facts) recorder.event({ type: 'facts', host: h.host, facts: h.facts })
    for (const [r, res] of h.results) {
      recorder.event({ type: 'task-start', host: h.host, task: r })
      recorder.event({ type: 'task-end', host: h.host, task: r, result: res })
    }
  }
  for (const e of opts.extra ?? []) recorder.event(e)
  recorder.event({ type: 'play-end', play: 'play' })
  const summaries = hosts.map(summaryOf)
  const summary: RunSummary = {
    playbook: '/p/site.yml', startedAt: new Date().toISOString(), durationMs: 100, check: opts.check ?? false,
    interrupted: hosts.some((h) => h.interrupted), hosts: summaries, exitCode: opts.exitCode ?? 0,
  }
  return { inner, warnings, recorder, summary }
}

async function record(path: string, hosts: HostPlan[], opts: Parameters<typeof simulate>[2] = {}): Promise<Simulated> {
  const s = simulate(path, hosts, opts)
  await s.recorder.finish(s.summary)
  return s
}

function query<T>(path: string, sql: string, ...args: unknown[]): T[] {
  const db = new Database(path, { readonly: true })
  try {
    return db.prepare(sql).all(...args) as T[]
  } finally {
    db.close()
  }
}

const ok3 = (host: string, extra: Partial<HostPlan> = {}): HostPlan => ({
  host,
  facts: facts(host),
  results: [[FACTS_REF, result('ok')], [A1, result('changed', { diff: ['--- a\n+++ b\n'] })], [A2, result('ok')], [B1, result('skipped', { message: 'condition is false' })]],
  ...extra,
})

test('a run is written: run row, hosts, tasks in order, facts, MACs, state', async (t) => {
  const path = dbPath()
  const failed: HostPlan = { host: 'm5-02', facts: facts('m5-02', '6.1.0-13-amd64', '6.1.0-15-amd64'), results: [[FACTS_REF, result('ok')], [A1, result('failed', { message: 'boom' })]] }
  const s = await record(path, [ok3('m5-01'), failed, { host: 'm5-03', results: [], unreachable: 'connect timeout' }], {
    exitCode: 2, limit: 'm5', tags: ['alpha', 'beta'],
    extra: [{ type: 'host-state', host: 'm5-01', key: 'image', value: '2026.11' }, { type: 'host-state', host: 'm5-01', key: 'note', value: 'x' }],
  })
  // play-start, 3 host-start, 1 unreachable, 2 facts, 6 tasks × start/end, 2 host-state, play-end.
  t.is(s.inner.events.length, 1 + 3 + 1 + 2 + 12 + 2 + 1, 'every event reached the real reporter')
  t.is(s.inner.finished.length, 1)
  t.deepEqual(s.warnings, [])
  t.is(statSync(path).mode & 0o777, 0o600)
  t.is(statSync(join(path, '..')).mode & 0o777, 0o700)

  const [run] = query<Record<string, unknown>>(path, 'SELECT * FROM runs')
  t.like(run, { id: 1, playbook: '/p/site.yml', command: 'labplay site.yml', user: 'alice', exit_code: 2, check_mode: 0, limit_pattern: 'm5', tags: 'alpha,beta' })
  t.truthy(run!.ended_at)
  t.deepEqual(query(path, 'SELECT host, status, ok, changed, failed, skipped, unreachable, message FROM run_hosts ORDER BY host'), [
    { host: 'm5-01', status: 'changed', ok: 3, changed: 1, failed: 0, skipped: 1, unreachable: 0, message: null },
    { host: 'm5-02', status: 'failed', ok: 1, changed: 0, failed: 1, skipped: 0, unreachable: 0, message: 'alpha : alpha one: boom' },
    { host: 'm5-03', status: 'unreachable', ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: 1, message: 'connect timeout' },
  ])
  t.deepEqual(query(path, "SELECT seq, role, task, status, changed, diff FROM task_results WHERE host = 'm5-01' ORDER BY seq"), [
    { seq: 0, role: '', task: 'Gathering Facts', status: 'ok', changed: 0, diff: null },
    { seq: 1, role: 'alpha', task: 'alpha one', status: 'changed', changed: 1, diff: '--- a\n+++ b\n' },
    { seq: 2, role: 'alpha', task: 'alpha two', status: 'ok', changed: 0, diff: null },
    { seq: 3, role: 'beta', task: 'beta one', status: 'skipped', changed: 0, diff: null },
  ])
  const hosts = query<Record<string, string | number | null>>(path, 'SELECT * FROM hosts ORDER BY host')
  t.like(hosts[0], { host: 'm5-01', last_status: 'changed', contact_run_id: 1, kernel_running: '6.1.0-13-amd64', macs: '["52:54:00:aa:bb:01"]', state: '{"image":"2026.11","note":"x"}' })
  t.like(hosts[1], { host: 'm5-02', last_status: 'failed', kernel_running: '6.1.0-13-amd64', kernel_newest: '6.1.0-15-amd64' })
  t.is(JSON.parse(hosts[1]!.facts as string).hostname, 'm5-02')
  t.like(hosts[2], { host: 'm5-03', last_status: 'unreachable', last_message: 'connect timeout', contact_run_id: null, facts: null, macs: null })

  // A later run that reaches nobody keeps the facts of the last contact, and merges state.
  await record(path, [{ host: 'm5-01', results: [], unreachable: 'no route' }], { exitCode: 4, extra: [{ type: 'host-state', host: 'm5-01', key: 'image', value: '2026.12' }] })
  t.like(query<Record<string, unknown>>(path, "SELECT * FROM hosts WHERE host = 'm5-01'")[0], {
    last_run_id: 2, last_status: 'unreachable', contact_run_id: 1, kernel_running: '6.1.0-13-amd64', state: '{"image":"2026.12","note":"x"}',
  })
})

test('before the end only the run row exists; a write that fails midway leaves no half run', async (t) => {
  const path = dbPath()
  const s = simulate(path, [ok3('m5-01')])
  t.like(query<Record<string, unknown>>(path, 'SELECT ended_at, exit_code FROM runs')[0], { ended_at: null, exit_code: null })
  t.is(query(path, 'SELECT * FROM run_hosts').length, 0)
  t.is(query(path, 'SELECT * FROM task_results').length, 0)
  // The second host's task has no status (NOT NULL): the transaction fails after the first host's rows.
  const broken = summaryOf(ok3('m5-02'))
  broken.tasks[1] = { ...broken.tasks[1]!, status: null as unknown as 'ok' }
  s.summary.hosts.push(broken)
  await s.recorder.finish(s.summary)
  t.is(s.inner.finished.length, 1, 'the real reporter finished anyway')
  t.is(s.warnings.length, 1)
  t.regex(s.warnings[0]!, /^\[WARNING\]: could not record this run in .*runs\.db: .*NOT NULL/)
  t.like(query<Record<string, unknown>>(path, 'SELECT ended_at, exit_code FROM runs')[0], { ended_at: null, exit_code: null })
  for (const table of ['run_hosts', 'task_results', 'hosts', 'role_state']) t.is(query(path, `SELECT * FROM ${table}`).length, 0, table)
  t.is(query<{ integrity_check: string }>(path, 'PRAGMA integrity_check')[0]!.integrity_check, 'ok')
})

test('a diff is bounded to DIFF_LIMIT bytes, never half a character, marked as cut', async (t) => {
  const path = dbPath()
  const big = `${'é'.repeat(DIFF_LIMIT)}\n`
  await record(path, [{ host: 'm5-01', results: [[A1, result('changed', { diff: [big] })]] }])
  const [row] = query<{ diff: string }>(path, 'SELECT diff FROM task_results')
  t.true(Buffer.byteLength(row!.diff) <= DIFF_LIMIT + 20)
  t.true(row!.diff.endsWith('\n… (truncated)'))
  t.false(row!.diff.includes('\uFFFD'))
  t.is(bound('short', 10), 'short')
  t.is(bound(undefined, 10), null)
})

test('what a hostile host sent is bounded column by column, and the run is still written', async (t) => {
  const path = dbPath()
  const huge = facts('m5-01', 'k'.repeat(2 * 1024 * 1024))
  huge.interfaces = Array.from({ length: 100 }, (_, i) => ({ name: `e${i}`, mac: `52:54:00:00:00:${i.toString(16).padStart(2, '0')}`, addresses: [] }))
  const message = 'x'.repeat(5 * 1024 * 1024)
  await record(path, [{ host: 'm5-01', facts: huge, results: [[FACTS_REF, result('ok')], [A1, result('failed', { message })]] }], {
    exitCode: 2, extra: [{ type: 'role-inputs', host: 'm5-01', role: 'alpha', inputs: { kernel: huge.kernel.running } }],
  })
  t.truthy(query<{ ended_at: string }>(path, 'SELECT ended_at FROM runs')[0]!.ended_at)
  const [host] = query<Record<string, string | null>>(path, 'SELECT * FROM hosts')
  t.is(host!.facts, null, 'facts past FACTS_JSON_LIMIT are not kept (no half JSON)')
  t.true(host!.kernel_running!.length <= KERNEL_LIMIT + 20 && host!.kernel_running!.endsWith('… (truncated)'))
  t.is(JSON.parse(host!.macs!).length, MACS_LIMIT)
  t.true(Buffer.byteLength(host!.last_message!) <= MESSAGE_LIMIT + 20)
  const [task] = query<{ message: string }>(path, "SELECT message FROM task_results WHERE task = 'alpha one'")
  t.true(Buffer.byteLength(task!.message) <= MESSAGE_LIMIT + 20)
})

test('role_state: success needs no failed task, an uncut host and a real run; a failure keeps the last success', async (t) => {
  const path = dbPath()
  const inputs: RunEvent = { type: 'role-inputs', host: 'm5-01', role: 'alpha', inputs: { kernel: '6.1' } } as unknown as RunEvent
  await record(path, [ok3('m5-01'), ok3('m5-02')], { extra: [inputs] })
  const rows = () => query<Record<string, unknown>>(path, 'SELECT host, role, last_status, last_run_id, success_run_id, success_inputs FROM role_state ORDER BY host, role')
  t.deepEqual(rows(), [
    { host: 'm5-01', role: 'alpha', last_status: 'changed', last_run_id: 1, success_run_id: 1, success_inputs: '{"kernel":"6.1"}' },
    { host: 'm5-01', role: 'beta', last_status: 'skipped', last_run_id: 1, success_run_id: 1, success_inputs: null },
    { host: 'm5-02', role: 'alpha', last_status: 'changed', last_run_id: 1, success_run_id: 1, success_inputs: null },
    { host: 'm5-02', role: 'beta', last_status: 'skipped', last_run_id: 1, success_run_id: 1, success_inputs: null },
  ])
  // Run 2: check mode: outcomes recorded, successes untouched.
  await record(path, [ok3('m5-01'), ok3('m5-02')], { check: true })
  t.true(rows().every((r) => r.last_run_id === 2 && r.success_run_id === 1))
  // Run 3: alpha fails on m5-01 (beta never runs there); m5-02 is cut off by Ctrl-C after alpha, before beta.
  await record(path, [
    { host: 'm5-01', results: [[FACTS_REF, result('ok')], [A1, result('ok')], [A2, result('failed', { message: 'no' })]] },
    { host: 'm5-02', results: [[FACTS_REF, result('ok')], [A1, result('ok')], [A2, result('ok')]], interrupted: true },
  ], { exitCode: 99 })
  t.deepEqual(rows(), [
    { host: 'm5-01', role: 'alpha', last_status: 'failed', last_run_id: 3, success_run_id: 1, success_inputs: '{"kernel":"6.1"}' },
    { host: 'm5-01', role: 'beta', last_status: 'skipped', last_run_id: 2, success_run_id: 1, success_inputs: null },
    { host: 'm5-02', role: 'alpha', last_status: 'ok', last_run_id: 3, success_run_id: 1, success_inputs: null },
    { host: 'm5-02', role: 'beta', last_status: 'skipped', last_run_id: 2, success_run_id: 1, success_inputs: null },
  ])
  t.deepEqual(query(path, 'SELECT host, status FROM run_hosts WHERE run_id = 3 ORDER BY host'), [{ host: 'm5-01', status: 'failed' }, { host: 'm5-02', status: 'interrupted' }])
  // Run 4: cut off in the middle of alpha: that role is interrupted.
  await record(path, [{ host: 'm5-02', results: [[FACTS_REF, result('ok')], [A1, result('ok')]], interrupted: true }], { exitCode: 99 })
  t.like(rows()[2], { host: 'm5-02', role: 'alpha', last_status: 'interrupted', last_run_id: 4, success_run_id: 1 })
})

test('check mode: facts update the host, the run says check', async (t) => {
  const path = dbPath()
  await record(path, [ok3('m5-01')], { check: true })
  t.like(query<Record<string, unknown>>(path, 'SELECT check_mode FROM runs')[0], { check_mode: 1 })
  t.like(query<Record<string, unknown>>(path, 'SELECT contact_run_id, kernel_running FROM hosts')[0], { contact_run_id: 1, kernel_running: '6.1.0-13-amd64' })
  t.like(query<Record<string, unknown>>(path, "SELECT success_run_id FROM role_state WHERE role = 'alpha'")[0], { success_run_id: null })
})

test('an unwritable record: one warning, every event still reaches the output, the run goes on', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'labplay-records-'))
  dirs.push(dir)
  writeFileSync(join(dir, 'file'), 'not a folder')
  const path = join(dir, 'file', 'runs.db')
  const s = simulate(path, [ok3('m5-01')])
  await s.recorder.finish(s.summary)
  t.is(s.inner.finished.length, 1)
  t.is(s.inner.events.length, 12)
  t.is(s.warnings.length, 1)
  t.regex(s.warnings[0]!, new RegExp(`^\\[WARNING\\]: could not record this run in ${path}: .*(ENOTDIR|EEXIST)`))
})

test('a host status: unreachable, then failed, then interrupted, then changed, then ok', (t) => {
  const h = (over: Partial<HostSummary>): HostSummary => ({ host: 'x', ok: 1, changed: 0, unreachable: 0, failed: 0, skipped: 0, tasks: [], warnings: [], ...over })
  t.is(hostStatus(h({ unreachable: 1, failed: 1 })), 'unreachable')
  t.is(hostStatus(h({ failed: 1, interrupted: true })), 'failed')
  t.is(hostStatus(h({ changed: 1, interrupted: true })), 'interrupted')
  t.is(hostStatus(h({ changed: 1 })), 'changed')
  t.is(hostStatus(h({})), 'ok')
})

test('the command line is quoted and its secrets masked: -e by structure (any length, nested, JSON-escaped), then by value', (t) => {
  const redact = (s: string) => s.split('hunter22').join('********')
  const extra = ['db_password=ab', `{"smb": {"admin_pass": "it's-\\"secret"}}`, 'room=hunter22']
  const line = commandLine(['site.yml', '-e', extra[0]!, '--extra-vars', extra[1]!, `--extra-vars=${extra[2]}`, '-l', 'm5'], redact, extra)
  t.is(line, `labplay site.yml -e db_password=******** --extra-vars '{"smb":{"admin_pass":"********"}}' --extra-vars=room=******** -l m5`)
})

test('recordsPath: --records, then LABPLAY_RECORDS, then ~/.local/state; --no-records: none', (t) => {
  const before = process.env.LABPLAY_RECORDS
  try {
    process.env.LABPLAY_RECORDS = '/tmp/env/runs.db'
    t.is(recordsPath({ records: 'x.db' }), join(process.cwd(), 'x.db'))
    t.is(recordsPath({}), '/tmp/env/runs.db')
    t.is(recordsPath({ noRecords: true }), undefined)
    delete process.env.LABPLAY_RECORDS
    t.regex(recordsPath({})!, /\/labplay\/runs\.db$/)
  } finally {
    if (before === undefined) delete process.env.LABPLAY_RECORDS
    else process.env.LABPLAY_RECORDS = before
  }
})

test('readers: a missing record is a clear message, the schema version is kept', (t) => {
  const path = dbPath()
  const err = t.throws(() => openRecords(path, { readonly: true }), { instanceOf: NoRecordsError })
  t.is(err?.message, `no runs recorded yet at ${path}`)
  openRecords(path).close()
  openRecords(path, { readonly: true }).close()
  const db = new Database(path, { readonly: true })
  t.is(db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get(), '1')
  t.throws(() => db.prepare("INSERT INTO meta VALUES ('a', 'b')").run(), { any: true, code: 'SQLITE_READONLY' })
  db.close()
})

test('history lines and show order: failed and unreachable hosts first', async (t) => {
  const path = dbPath()
  await record(path, [ok3('m5-01'), { host: 'm5-02', results: [[FACTS_REF, result('ok')], [A1, result('failed', { message: 'boom' })]] }, { host: 'm5-03', results: [], unreachable: 'down' }], { exitCode: 2, limit: 'm5' })
  simulate(path, [ok3('m5-04')]) // never finished
  const r = openRecords(path, { readonly: true })
  try {
    const runs = r.runs(20)
    t.deepEqual(runs.map((x) => x.id), [2, 1])
    t.regex(formatRun(runs[0]!), /^#2 {2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}- {2}site\.yml {2}not finished .* {2}alice$/)
    t.regex(formatRun(runs[1]!), /^#1 {2}\S+ \S+ {2}\S+ {2}site\.yml {2}-l m5 {2}hosts=3 ok=0 changed=1 failed=1 unreachable=1 {2}exit=2 {2}alice$/)
    t.deepEqual(r.runs(20, new Set(['m5-09'])).map((x) => x.id), [2], 'an unfinished run may have touched any host')
    t.deepEqual(r.runs(1).map((x) => x.id), [2])
    t.deepEqual(r.run(1)!.hosts.map((h) => h.host), ['m5-01', 'm5-02', 'm5-03'], 'the store keeps run order')
    t.deepEqual(worstFirst(r.run(1)!).hosts.map((h) => [h.host, h.status]), [['m5-02', 'failed'], ['m5-03', 'unreachable'], ['m5-01', 'changed']])
    t.deepEqual(r.run(1, new Set(['m5-01']))!.hosts.map((h) => h.tasks.length), [4])
  } finally {
    r.close()
  }
})
