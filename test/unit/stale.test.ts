import test from 'ava'
import Database from 'better-sqlite3'
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connectLocal } from '../../src/connection/local.ts'
import type { Reporter, RunEvent } from '../../src/engine/events.ts'
import { roleCodeHash, roleInputs, SECRET_INPUT } from '../../src/engine/role-inputs.ts'
import { RoleCatalog } from '../../src/engine/roles.ts'
import { runPlaybook } from '../../src/engine/run.ts'
import { InputError } from '../../src/errors.ts'
import { loadInventory } from '../../src/inventory/index.ts'
import { createPalette } from '../../src/output/palette.ts'
import { groupedLines, SelectionLines } from '../../src/output/selection.ts'
import { loadPlaybook } from '../../src/playbook/index.ts'
import { openRecords } from '../../src/records/store.ts'
import { decide, formatWhen, staleSelector, type RoleRecord } from '../../src/records/stale.ts'
import type { Facts } from '../../src/sdk/facts.types.ts'
import { ROOT } from '../helpers/labplay.ts'

const CODE = 'a'.repeat(64)
const IMAGE = { name: 'win11-lab', version: '2026.11', size: 10, sha256: 'b'.repeat(64), source: '/srv/x.qcow2' }
const BEFORE = { code: CODE, vars: { image: IMAGE, workgroup: 'LAB', smb_password: SECRET_INPUT }, kernel: '6.1.0-25-amd64', newestKernel: '6.1.0-25-amd64' }
// 18:02 today, local time, as the admin's clock shows it.
const NOW = new Date()
const AT = new Date(NOW.getFullYear(), NOW.getMonth(), NOW.getDate(), 18, 2).toISOString()

function record(over: Partial<RoleRecord> = {}): RoleRecord {
  return { lastStatus: 'ok', lastRunId: 4, successRunId: 4, successAt: AT, successInputs: JSON.stringify(BEFORE), ...over }
}

function after(change: (x: typeof BEFORE) => void): Record<string, unknown> {
  const x = structuredClone(BEFORE)
  change(x)
  return x
}

test('no success recorded: the role runs, "never succeeded here"', (t) => {
  t.deepEqual(decide(undefined, BEFORE), { run: true, reason: 'never succeeded here' })
  t.deepEqual(decide(record({ successRunId: null, successAt: null, successInputs: null, lastStatus: 'failed' }), BEFORE), { run: true, reason: 'never succeeded here' })
})

test('last outcome failed, unreachable or interrupted: the role runs, naming that run', (t) => {
  t.deepEqual(decide(record({ lastStatus: 'failed', lastRunId: 7 }), BEFORE), { run: true, reason: 'last run failed (run #7)' })
  t.deepEqual(decide(record({ lastStatus: 'unreachable', lastRunId: 8 }), BEFORE), { run: true, reason: 'last run unreachable (run #8)' })
  t.deepEqual(decide(record({ lastStatus: 'interrupted', lastRunId: 9 }), BEFORE), { run: true, reason: 'last run interrupted (run #9)' })
})

test('a success without recorded inputs: the role runs', (t) => {
  t.deepEqual(decide(record({ successInputs: null }), BEFORE), { run: true, reason: 'inputs of the last success not recorded (run #4)' })
  t.deepEqual(decide(record({ successInputs: '{"not json' }), BEFORE).run, true)
})

test('equal inputs: skipped, naming the success and its time (key order does not matter)', (t) => {
  const reordered = { newestKernel: BEFORE.newestKernel, vars: { smb_password: BEFORE.vars.smb_password, workgroup: 'LAB', image: { ...IMAGE } }, kernel: BEFORE.kernel, code: CODE }
  t.deepEqual(decide(record(), reordered, NOW), { run: false, reason: 'unchanged since run #4 (18:02)' })
  t.deepEqual(decide(record({ lastStatus: 'skipped' }), BEFORE, NOW).run, false)
})

test('times: today the time only, another day the date too', (t) => {
  t.is(formatWhen(AT, NOW), '18:02')
  const earlier = new Date(2026, 0, 5, 9, 7).toISOString()
  t.is(formatWhen(earlier, new Date(2026, 0, 6, 12, 0)), '2026-01-05 09:07')
})

test('a new running kernel: both kernels named, said once although "newest installed" moved alike', (t) => {
  const r = decide(record(), after((x) => { x.kernel = '6.1.0-26-amd64'; x.newestKernel = '6.1.0-26-amd64' }))
  t.deepEqual(r, { run: true, reason: 'kernel 6.1.0-25-amd64 → 6.1.0-26-amd64' })
})

test('a kernel installed, not yet running: named as the newest installed kernel', (t) => {
  const r = decide(record(), after((x) => { x.newestKernel = '6.1.0-27-amd64' }))
  t.deepEqual(r, { run: true, reason: 'newest installed kernel 6.1.0-25-amd64 → 6.1.0-27-amd64' })
})

test('a new image manifest: the versions, not "variables changed"', (t) => {
  const r = decide(record(), after((x) => { x.vars.image = { ...IMAGE, version: '2026.12', sha256: 'c'.repeat(64) } }))
  t.deepEqual(r, { run: true, reason: 'image win11-lab-2026.11 → win11-lab-2026.12' })
  // Same version, another checksum: the variable's name only.
  const same = decide(record(), after((x) => { x.vars.image = { ...IMAGE, sha256: 'c'.repeat(64) } }))
  t.deepEqual(same, { run: true, reason: 'variables changed: image' })
})

test('changed variables by name only, sorted; never a value', (t) => {
  const r = decide(record(), after((x) => {
    x.vars.workgroup = 'OTHER'
    ;(x.vars as Record<string, unknown>).added = 1
  }))
  t.deepEqual(r, { run: true, reason: 'variables changed: added, workgroup' })
  t.notRegex(r.reason, /OTHER|LAB/)
})

test('a secret is in the inputs by name only: no value, no digest, so a new password alone is not a change', (t) => {
  const role = { defaults: { smb_password: '', workgroup: '' } }
  const one = roleInputs(role, 'c', { smb_password: 'hunter22', workgroup: 'LAB' }, undefined)
  const two = roleInputs(role, 'c', { smb_password: 'new-secret-99', workgroup: 'LAB' }, undefined)
  t.deepEqual(one, two)
  t.notRegex(JSON.stringify(one), /hunter22/)
  t.is(one.vars.smb_password, SECRET_INPUT)
  t.deepEqual(decide(record({ successInputs: JSON.stringify(one) }), two).run, false)
})

test('many variables: the first five names, then the count', (t) => {
  const r = decide(record(), after((x) => { for (const n of 'abcdefg') (x.vars as Record<string, unknown>)[n] = n }))
  t.is(r.reason, 'variables changed: a, b, c, d, e, … (7 in all)')
})

test('role code changed; several changes, most telling first', (t) => {
  t.deepEqual(decide(record(), after((x) => { x.code = 'd'.repeat(64) })), { run: true, reason: 'role code changed' })
  const all = decide(record(), after((x) => {
    x.code = 'd'.repeat(64)
    x.vars.workgroup = 'OTHER'
    x.vars.image = { ...IMAGE, version: '2026.12' }
    x.kernel = '6.1.0-26-amd64'
  }))
  t.is(all.reason, 'kernel 6.1.0-25-amd64 → 6.1.0-26-amd64; image win11-lab-2026.11 → win11-lab-2026.12; variables changed: workgroup; role code changed')
})

test('role inputs: secrets become salted digests (changing with the value), never the value', (t) => {
  const facts = { kernel: { running: '6.1.0-26-amd64', newestInstalled: '6.1.0-27-amd64', installed: [] } } as unknown as Facts
  const role = {
    defaults: { workgroup: '', smb_password: '', nested: {} },
    inputs: ({ facts: f }: { facts: Facts }) => ({ kernel: f.kernel.running, newestKernel: f.kernel.newestInstalled }),
  }
  const one = roleInputs(role, CODE, { workgroup: 'LAB', smb_password: 'hunter22', nested: { db_token: 'tok-123' }, ansible_host: '10.0.0.5', image: IMAGE }, facts)
  const two = roleInputs(role, CODE, { workgroup: 'LAB', smb_password: 'hunter23', nested: { db_token: 'tok-123' } }, facts)
  t.deepEqual(Object.keys(one), ['code', 'vars', 'kernel', 'newestKernel'])
  // Only the variables the role declares: inventory and extra variables of other roles are not its inputs.
  t.deepEqual(Object.keys(one.vars), ['workgroup', 'smb_password', 'nested'])
  t.is(one.kernel, '6.1.0-26-amd64')
  t.notRegex(JSON.stringify(one), /hunter22|tok-123/)
  t.is(one.vars.smb_password, SECRET_INPUT)
  t.is(two.vars.smb_password, SECRET_INPUT)
  t.deepEqual(one.vars.nested, two.vars.nested)
  // No facts (gather_facts: false): the role's own inputs are left out, not an error.
  t.deepEqual(Object.keys(roleInputs(role, CODE, {}, undefined)), ['code', 'vars'])
  t.throws(() => roleInputs({ defaults: {}, inputs: () => ({ code: 'x' }) }, CODE, {}, facts), { message: /labplay's own keys/ })
})

test('role code hash: deterministic, follows every code file, ignores Markdown', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'labplay-stale-code-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  cpSync(join(ROOT, 'roles/kvm-module'), dir, { recursive: true })
  const first = roleCodeHash(dir)
  t.regex(first, /^[0-9a-f]{64}$/)
  t.is(roleCodeHash(dir), first)
  t.is(roleCodeHash(join(ROOT, 'roles/kvm-module')), first, 'the same files elsewhere hash alike')
  writeFileSync(join(dir, 'README.md'), 'edited docs\n')
  t.is(roleCodeHash(dir), first)
  writeFileSync(join(dir, 'vars.ts'), `${readFileSync(join(dir, 'vars.ts'), 'utf8')}\n// edit\n`)
  t.not(roleCodeHash(dir), first)
})

test('the selector: no record is bad input; a record answers per host and role', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'labplay-stale-db-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const path = join(dir, 'runs.db')
  t.throws(() => staleSelector(path), { instanceOf: InputError, message: `--stale: no runs recorded yet at ${path} (run the playbook once without --stale)` })
  openRecords(path).close()
  const db = new Database(path)
  const insert = db.prepare(`INSERT INTO role_state (host, role, last_status, last_run_id, last_at, success_run_id, success_at, success_inputs)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
  insert.run('m5-01', 'kvm-module', 'ok', 4, AT, 4, AT, JSON.stringify(BEFORE))
  insert.run('m5-02', 'kvm-module', 'failed', 5, AT, 4, AT, JSON.stringify(BEFORE))
  db.close()
  const select = staleSelector(path, NOW)
  t.deepEqual(select('m5-01', 'kvm-module', BEFORE), { run: false, reason: 'unchanged since run #4 (18:02)' })
  t.deepEqual(select('m5-02', 'kvm-module', BEFORE), { run: true, reason: 'last run failed (run #5)' })
  t.deepEqual(select('m5-03', 'kvm-module', BEFORE), { run: true, reason: 'never succeeded here' })
  t.deepEqual(select('m5-01', 'udpcast', BEFORE), { run: true, reason: 'never succeeded here' })
})

test('the plain lines: one per host on a small play, grouped by reason on a big one', (t) => {
  const paint = createPalette(false)
  const small = new SelectionLines(3, paint)
  t.deepEqual(small.add({ host: 'm5-01', role: 'kvm-module', run: true, reason: 'kernel a → b' }), ['STALE [m5-01] kvm-module: kernel a → b'])
  t.deepEqual(small.add({ host: 'm5-02', role: 'kvm-module', run: false, reason: 'unchanged since run #4 (18:02)' }), ['skip [m5-02] kvm-module: unchanged since run #4 (18:02)'])
  const big = new SelectionLines(18, paint)
  for (let i = 1; i <= 18; i++) {
    const host = `m5-${String(i).padStart(2, '0')}`
    t.deepEqual(big.add({ host, role: 'kvm-module', run: i === 3, reason: i === 3 ? 'kernel a → b' : 'unchanged since run #4 (18:02)' }), [])
  }
  t.deepEqual(big.flush('udpcast'), [])
  t.deepEqual(big.flush('kvm-module'), [
    'STALE [m5-03] kvm-module: kernel a → b',
    'skip kvm-module on 17 hosts (m5-01, m5-02, m5-04, …): unchanged since run #4 (18:02)',
  ])
  t.deepEqual(big.flush(), [])
  t.deepEqual(groupedLines([], paint), [])
})

// The engine over local "hosts": a role left out by `select` runs no task, no handler, and sits out the
// play-scoped step; every host reports its role inputs, whether or not --stale is on.
test('engine: a role select leaves out skips every task, handler and the once step on that host', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'labplay-stale-engine-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const playbook = join(dir, 'site.yml')
  writeFileSync(playbook, `- name: engine\n  hosts: all\n  roles:\n    - role: marker\n      vars: ${JSON.stringify({ dir })}\n`)
  const catalog = await RoleCatalog.load([join(ROOT, 'test/fixtures/engine/roles')])
  const plays = await loadPlaybook(playbook, catalog)
  const events: RunEvent[] = []
  const reporter: Reporter = { event: (e) => events.push(e), finish: async () => undefined }
  const asked: string[] = []
  const outcome = await runPlaybook({
    inventory: await loadInventory(['h1,h2,h3,']), catalog, tags: [], skipTags: [], extraVars: {}, cwd: dir, become: false,
    knownHostsFile: join(dir, 'known_hosts'), hostKeyChecking: 'strict', connectTimeoutMs: 5000,
    playbook, plays, check: false, diff: false, forks: 2, timeoutMs: 30_000, verbosity: 0, reporter,
    signal: new AbortController().signal,
    connect: async (target) => connectLocal(target.kind === 'ssh' ? target.ssh.name : target.name),
    select: (host, role, inputs) => {
      asked.push(`${host}:${role}:${typeof inputs.code}`)
      return host === 'h2' ? { run: false, reason: 'unchanged since run #4 (18:02)' } : { run: true, reason: 'never succeeded here' }
    },
  })
  t.is(outcome.summary.exitCode, 0)
  t.deepEqual(asked.sort(), ['h1:marker:string', 'h2:marker:string', 'h3:marker:string'])
  const files = readdirSync(dir).sort()
  t.false(files.some((f) => f.startsWith('h2.')), files.join(' '))
  t.true(existsSync(join(dir, 'h1.handler')) && existsSync(join(dir, 'h3.b')))
  t.deepEqual(readFileSync(join(dir, 'once'), 'utf8').trim(), 'h1,h3')
  const h2 = outcome.summary.hosts.find((h) => h.host === 'h2')!
  t.is(h2.changed, 0)
  t.true(h2.tasks.filter((x) => x.role === 'marker').every((x) => x.status === 'skipped' && x.message === 'unchanged since run #4 (18:02)'))
  t.deepEqual(h2.selection, [{ role: 'marker', run: false, reason: 'unchanged since run #4 (18:02)' }])
  const selected = events.filter((e) => e.type === 'role-selected')
  t.is(selected.length, 3)
  const inputs = events.filter((e): e is Extract<RunEvent, { type: 'role-inputs' }> => e.type === 'role-inputs')
  t.is(inputs.length, 3)
  t.is((inputs[0]!.inputs.vars as Record<string, unknown>).dir, dir)
  // Each host's inputs come before its first task of the role.
  const order = events.filter((e) => 'host' in e && e.host === 'h1').map((e) => (e.type === 'task-start' ? e.task.role || 'facts' : e.type))
  t.true(order.indexOf('role-inputs') < order.indexOf('marker'), order.join(' '))
})

// The views over 20 hosts: the plain lines group verdicts before the role's first task summary; the live
// view counts them under the play; --json carries each host's selection.
const TASK = { index: 0, role: 'kvm-module', name: 'KVM is usable', once: false, handler: false }
const HOSTS20 = Array.from({ length: 20 }, (_, i) => `m5-${String(i + 1).padStart(2, '0')}`)
function drive(reporter: Reporter): void {
  reporter.event({ type: 'play-start', play: 'site', hosts: HOSTS20, tasks: [TASK] })
  for (const [i, host] of HOSTS20.entries()) {
    reporter.event({ type: 'role-selected', host, role: 'kvm-module', run: i === 0, reason: i === 0 ? 'kernel a → b' : 'unchanged since run #4 (18:02)' })
    reporter.event({ type: 'task-start', host, task: TASK })
    reporter.event({ type: 'task-end', host, task: TASK, result: { status: i === 0 ? 'ok' : 'skipped', changed: false, durationMs: 1 } })
  }
  reporter.event({ type: 'play-end', play: 'site' })
}
const SUMMARY = {
  playbook: 'site.yml', startedAt: '2026-01-01T00:00:00.000Z', durationMs: 10, check: false, interrupted: false, exitCode: 0,
  hosts: [{ host: 'm5-01', ok: 1, changed: 0, unreachable: 0, failed: 0, skipped: 0, tasks: [], warnings: [], selection: [{ role: 'kvm-module', run: true, reason: 'kernel a → b' }] }],
}

test('views: plain groups a big play\'s verdicts before the task line; live counts them; --json lists them', async (t) => {
  const { createReporter, writeJsonSummary } = await import('../../src/output/index.ts')
  const { Writable } = await import('node:stream')
  const sink = () => {
    const chunks: string[] = []
    return { chunks, stream: new Writable({ write(c, _e, cb) { chunks.push(String(c)); cb() } }) }
  }
  const plain = sink()
  const p = createReporter({ stream: plain.stream, tty: false, color: false, verbosity: 0, diff: false })
  drive(p)
  await p.finish(SUMMARY)
  const text = plain.chunks.join('')
  const lines = text.split('\n')
  const stale = lines.indexOf('STALE [m5-01] kvm-module: kernel a → b')
  const skip = lines.indexOf('skip kvm-module on 19 hosts (m5-02, m5-03, m5-04, …): unchanged since run #4 (18:02)')
  const task = lines.findIndex((l) => l.startsWith('task: kvm-module : KVM is usable'))
  t.true(stale > 0 && skip > stale && task > skip, text)
  t.false(text.includes('skip [m5-02]'), 'no per-host line on a big play')

  const live = sink()
  const l = createReporter({ stream: Object.assign(live.stream, { isTTY: true, columns: 100, rows: 30 }), tty: true, color: false, verbosity: 0, diff: false })
  drive(l)
  await l.finish(SUMMARY)
  const shown = live.chunks.join('').replace(/\u001B\[[0-9;?]*[A-Za-z]/g, '')
  t.true(shown.includes('stale: 1 role to run on 1 host, 19 unchanged (skipped)'), shown)
  t.true(shown.includes('STALE [m5-01] kvm-module: kernel a → b'), shown)

  const dir = mkdtempSync(join(tmpdir(), 'labplay-stale-json-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  await writeJsonSummary(SUMMARY, join(dir, 'out.json'))
  const json = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as { hosts: Array<{ selection?: unknown }> }
  t.deepEqual(json.hosts[0]!.selection, [{ role: 'kvm-module', run: true, reason: 'kernel a → b' }])
})

test('options: --stale; refused with --no-records before anything runs', async (t) => {
  const { parseOptions } = await import('../../src/options.ts')
  t.true(parseOptions(['site.yml', '--stale']).stale)
  t.false(parseOptions(['site.yml']).stale)
  t.throws(() => parseOptions(['site.yml', '--stale', '--no-records']), { instanceOf: InputError, message: /--stale .*--no-records/ })
})
