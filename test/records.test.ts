import test from 'ava'
import Database from 'better-sqlite3'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createLab, type Lab } from './lab/lab.ts'
import { BIN, cleanUp, labplay } from './helpers/labplay.ts'
import { faultProject, shown, startLabplay, waitFor } from './fixtures/faults/run.ts'

// The run record on three real hosts: a run with a failing host, then history and show; facts and
// MACs as the hosts have them; no secret in the file's bytes; --no-records; Ctrl-C and kill -9 mid-run.
let lab: Lab
let dir: string
let records: string
const INVENTORY_SECRET = 'inv-secret-4711-xq'
const EXTRA_SECRET = 'tok-secret-5150-zr'

const SITE = `- name: recorded
  hosts: lab
  roles:
    - lab-notice
    - secret
`
// The slow step's command on a host (pid 1 of a lab host runs a `sleep 3600` of its own).
const SLEEPING = `pgrep -fx 'sleep 20'`
const SLOW = `- name: slow
  hosts: lab
  roles:
    - role: slow
      vars: { sleep_on: "{{ sleep_on }}", seconds: 20 }
`

test.before(async () => {
  lab = await createLab({ hosts: 3 })
  const [, second] = lab.hosts
  dir = faultProject({
    'site.yml': SITE,
    'slow.yml': SLOW,
    // A second inventory source: a secret for every host, and the host that fails (secret's fail_on).
    'extra.ini': `[lab]\n${second!.name} fail_on=${second!.name}\n\n[lab:vars]\ndb_password=${INVENTORY_SECRET}\n`,
  })
  records = join(dir, 'records', 'runs.db')
  // startLabplay passes this process's environment on: the record goes to the test's own folder.
  process.env.LABPLAY_RECORDS = records
})

test.after.always(() => cleanUp(lab, dir))

const env = () => ({ LABPLAY_RECORDS: records })
const cli = (args: string[], opts: { env?: NodeJS.ProcessEnv } = {}) => lab.controller(['node', BIN, ...args], { cwd: dir, env: { ...process.env, NO_COLOR: '1', ...env(), ...opts.env }, timeoutMs: 30_000 })

function query<T>(sql: string, ...args: unknown[]): T[] {
  const db = new Database(records, { readonly: true })
  try {
    return db.prepare(sql).all(...args) as T[]
  } finally {
    db.close()
  }
}

test.serial('a run is recorded: history and show (the failed host first), facts and MACs as the hosts have them', async (t) => {
  const [first, second] = lab.hosts
  const ran = await labplay(lab, [join(dir, 'site.yml'), '-i', join(dir, 'extra.ini'), '-e', `api_token=${EXTRA_SECRET}`, '-D'], { cwd: dir, env: env() })
  t.is(ran.code, 2, shown(ran))
  t.is(ran.recap.get(second!.name)!.failed, 1)

  const history = await cli(['history'])
  t.is(history.code, 0, shown(history))
  const lines = history.stdout.trim().split('\n')
  t.is(lines.length, 1)
  t.regex(lines[0]!, /^#1 {2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}[\d.]+m?s {2}site\.yml {2}hosts=3 ok=0 changed=2 failed=1 unreachable=0 {2}exit=2 {2}\S+$/)

  const show = await cli(['show', 'last'])
  t.is(show.code, 0, shown(show))
  t.regex(show.stdout, /^run #1 {2}site\.yml\n/)
  t.regex(show.stdout, new RegExp(`command +labplay \\S+site\\.yml -i \\S+extra\\.ini -e api_token=\\*{8} -D`))
  t.regex(show.stdout, /exit +2 \(a host failed\)/)
  const blocks = show.stdout.split('\n\n').slice(1)
  t.deepEqual(blocks.map((b) => b.split('  ')[0]), [second!.name, first!.name, lab.hosts[2]!.name], 'failed host first, then run order')
  t.regex(blocks[0]!, /failed +\d+(ms|\.\ds) +secret : the token is accepted => test \*{8} = another-token/)
  t.notRegex(show.stdout, /^ {6}\+\+\+/m, 'no diff without -D')
  const withDiff = await cli(['show', '1', '-D', '-l', first!.name])
  t.is(withDiff.stdout.split('\n\n').length, 2, 'only the -l host')
  t.regex(withDiff.stdout, /^ {6}\+room: unknown$/m, 'the recorded diff')

  const json = JSON.parse((await cli(['show', 'last', '--json'])).stdout) as { hosts: Array<{ host: string; tasks: unknown[] }> }
  t.is(json.hosts[0]!.host, second!.name)

  for (const h of lab.hosts) {
    const [row] = query<{ kernel_running: string; macs: string; last_status: string; facts: string }>('SELECT * FROM hosts WHERE host = ?', h.name)
    t.is(row!.kernel_running, (await lab.exec(h.name, 'uname -r')).stdout.trim())
    const mac = (await lab.exec(h.name, "ip -o link show eth0 | sed -E 's/.*link\\/ether ([0-9a-f:]+).*/\\1/'")).stdout.trim()
    t.regex(mac, /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/)
    t.deepEqual(JSON.parse(row!.macs), [mac], `${h.name}: the MAC of eth0`)
    t.is(JSON.parse(row!.facts).hostname, h.name)
    t.is(row!.last_status, h.name === second!.name ? 'failed' : 'changed')
  }
  t.deepEqual(query('SELECT role, last_status, success_run_id FROM role_state WHERE host = ? ORDER BY role', second!.name), [
    { role: 'lab-notice', last_status: 'changed', success_run_id: 1 },
    { role: 'secret', last_status: 'failed', success_run_id: null },
  ], 'success is per role: the role that went well is recorded, the failed one is not')
  t.deepEqual(query('SELECT role, success_run_id FROM role_state WHERE host = ? ORDER BY role', first!.name), [
    { role: 'lab-notice', success_run_id: 1 },
    { role: 'secret', success_run_id: 1 },
  ])
})

test.serial('no secret reaches the record: the file and its WAL hold neither the inventory nor the -e secret', async (t) => {
  // One more run at -vvv (stack traces, every detail): then the bytes of the file and of its WAL.
  const ran = await labplay(lab, [join(dir, 'site.yml'), '-i', join(dir, 'extra.ini'), '-e', `api_token=${EXTRA_SECRET}`, '-D', '-vvv'], { cwd: dir, env: env() })
  t.is(ran.code, 2, shown(ran))
  t.true(existsSync(records))
  for (const file of [records, `${records}-wal`, `${records}-shm`]) {
    if (!existsSync(file)) continue
    const bytes = readFileSync(file)
    for (const secret of [INVENTORY_SECRET, EXTRA_SECRET]) {
      t.is(bytes.indexOf(secret), -1, `${secret} in ${file}`)
      t.is(bytes.indexOf(secret.slice(0, 10)), -1, `part of ${secret} in ${file}`)
      t.is(bytes.indexOf(Buffer.from(secret, 'utf16le')), -1, `${secret} (UTF-16) in ${file}`)
    }
  }
  // The secret did reach the hosts: the test would pass for nothing otherwise.
  t.is((await lab.exec(lab.hosts[0]!.name, 'cat /srv/faults-secret/db.conf')).stdout, `password=${INVENTORY_SECRET}\n`)
})

test.serial('--no-records writes nothing; --records moves the file; both at once is bad input', async (t) => {
  const none = join(dir, 'none', 'runs.db')
  const ran = await labplay(lab, [join(dir, 'site.yml'), '--no-records', '-t', 'lab-notice'], { cwd: dir, env: { LABPLAY_RECORDS: none } })
  t.is(ran.code, 0, shown(ran))
  t.false(existsSync(join(dir, 'none')))
  const moved = join(dir, 'moved.db')
  const other = await labplay(lab, [join(dir, 'site.yml'), '--records', moved, '-t', 'lab-notice'], { cwd: dir, env: { LABPLAY_RECORDS: none } })
  t.is(other.code, 0, shown(other))
  t.false(existsSync(join(dir, 'none')))
  t.regex((await cli(['history', '--records', moved])).stdout, /^#1 .* -t lab-notice {2}hosts=3 ok=3 changed=0 failed=0 unreachable=0 {2}exit=0 /)
  const both = await cli(['site.yml', '--records', moved, '--no-records'])
  t.is(both.code, 5)
  t.regex(both.stderr, /^ERROR: --records and --no-records/)
  const bad = await cli(['show', 'yesterday'])
  t.is(bad.code, 5)
  t.regex(bad.stderr, /^ERROR: run 'yesterday': expected a run number/)
})

test.serial('Ctrl-C mid-run: exit 99, recorded whole, the host that was cut off shows interrupted', async (t) => {
  const sleeper = lab.hosts[1]!.name
  const run = startLabplay(lab, [join(dir, 'slow.yml'), '-e', `sleep_on=${sleeper}`], { cwd: dir, timeoutMs: 60_000 })
  await waitFor('the other hosts to finish', () => (run.output().match(/slow : after mark holds the stamp/g) ?? []).length >= 2)
  await waitFor('the slow step on the sleeper', async () => (await lab.exec(sleeper, SLEEPING)).code === 0)
  run.interrupt()
  const done = await run.done
  t.is(done.code, 99, shown(done))
  const [last] = query<{ id: number; exit_code: number; ended_at: string | null }>('SELECT * FROM runs ORDER BY id DESC LIMIT 1')
  t.is(last!.exit_code, 99)
  t.truthy(last!.ended_at)
  t.deepEqual(query('SELECT host, status FROM run_hosts WHERE run_id = ? ORDER BY host', last!.id), lab.hosts.map((h) => ({ host: h.name, status: h.name === sleeper ? 'interrupted' : 'changed' })))
  t.deepEqual(query("SELECT last_status, success_run_id FROM role_state WHERE host = ? AND role = 'slow'", sleeper), [{ last_status: 'interrupted', success_run_id: null }])
  const history = await cli(['history', '-n', '1'])
  t.regex(history.stdout, /^#\d+ .* slow\.yml {2}hosts=3 ok=0 changed=2 failed=0 unreachable=0 interrupted=1 {2}exit=99 \(interrupted\) /)
})

test.serial('kill -9 mid-run: the record opens, passes integrity_check, and history shows the run as not finished', async (t) => {
  const sleeper = lab.hosts[0]!.name
  const run = startLabplay(lab, [join(dir, 'slow.yml'), '-e', `sleep_on=${sleeper}`], { cwd: dir, timeoutMs: 60_000 })
  await waitFor('the slow step on the sleeper', async () => (await lab.exec(sleeper, SLEEPING)).code === 0)
  process.kill(run.pid, 'SIGKILL')
  await run.done
  await lab.exec(sleeper, `pkill -fx 'sleep 20'; true`)
  t.deepEqual(query('PRAGMA integrity_check'), [{ integrity_check: 'ok' }])
  const [last] = query<{ id: number; exit_code: number | null; ended_at: string | null }>('SELECT * FROM runs ORDER BY id DESC LIMIT 1')
  t.like(last, { exit_code: null, ended_at: null })
  t.deepEqual(query('SELECT * FROM run_hosts WHERE run_id = ?', last!.id), [])
  const history = await cli(['history', '-n', '2'])
  t.is(history.code, 0, shown(history))
  t.regex(history.stdout.split('\n')[0]!, new RegExp(`^#${last!.id} .* slow\\.yml {2}not finished `))
  t.regex(history.stdout.split('\n')[1]!, /exit=99 \(interrupted\)/)
  // The next run writes on as usual.
  const ran = await labplay(lab, [join(dir, 'site.yml'), '-t', 'lab-notice'], { cwd: dir, env: env() })
  t.is(ran.code, 0, shown(ran))
  t.regex((await cli(['history', '-n', '1'])).stdout, new RegExp(`^#${last!.id + 1} .*exit=0 `))
})

test.serial('history -l keeps the runs that touched the pattern; a pattern matching nothing is bad input', async (t) => {
  const all = (await cli(['history', '-n', '50'])).stdout.trim().split('\n')
  const some = await cli(['history', '-n', '50', '-l', lab.hosts[0]!.name, '-i', lab.inventory])
  t.is(some.code, 0, shown(some))
  t.true(some.stdout.trim().split('\n').length <= all.length)
  t.regex(some.stdout, /site\.yml/)
  const none = await cli(['history', '-l', 'nosuchhost-*', '-i', lab.inventory])
  t.is(none.code, 5)
  t.regex(none.stderr, /matches no host/)
})
