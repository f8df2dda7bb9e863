import test from 'ava'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connectLocal } from '../src/connection/local.ts'
import { UnreachableError } from '../src/connection/types.ts'
import type { Reporter, RunEvent } from '../src/engine/events.ts'
import { RoleCatalog } from '../src/engine/roles.ts'
import { runPlaybook, type RunOptions } from '../src/engine/run.ts'
import { loadInventory } from '../src/inventory/index.ts'
import { loadPlaybook } from '../src/playbook/index.ts'
import { ROOT } from './helpers/labplay.ts'

// The engine over local "hosts" h1…h4 (each a name; commands run here, in a temp folder):
// barriers, handlers, failures, serial batches, check mode, tags, interrupts.
const ROLES = join(ROOT, 'test/fixtures/engine/roles')
const HOSTS = ['h1', 'h2', 'h3', 'h4']

interface Setup {
  vars?: Record<string, unknown>
  when?: string
  serial?: string
  down?: string[]
  opts?: Partial<RunOptions>
}

async function run(t: { teardown: (fn: () => void) => void }, setup: Setup = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'labplay-engine-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const vars = JSON.stringify({ dir, ...setup.vars })
  const playbook = join(dir, 'site.yml')
  writeFileSync(playbook, `- name: engine\n  hosts: all\n${setup.serial ? `  serial: ${setup.serial}\n` : ''}  roles:\n    - role: marker\n      vars: ${vars}\n${setup.when ? `      when: ${JSON.stringify(setup.when)}\n` : ''}`)
  const catalog = await RoleCatalog.load([ROLES])
  const plays = await loadPlaybook(playbook, catalog)
  const inventory = await loadInventory([`${HOSTS.join(',')},`])
  const events: RunEvent[] = []
  const reporter: Reporter = { event: (e) => events.push(e), finish: async () => undefined }
  const outcome = await runPlaybook({
    inventory, catalog, tags: [], skipTags: [], extraVars: {}, cwd: dir, become: false,
    knownHostsFile: join(dir, 'known_hosts'), hostKeyChecking: 'strict', connectTimeoutMs: 5000,
    playbook, plays, check: false, diff: false, forks: 2, timeoutMs: 30_000, verbosity: 0, reporter,
    signal: new AbortController().signal,
    connect: async (target) => {
      const name = target.kind === 'ssh' ? target.ssh.name : target.name
      if (setup.down?.includes(name)) throw new UnreachableError(`${name}: connection refused`)
      return connectLocal(name)
    },
    ...setup.opts,
  })
  const files = readdirSync(dir).filter((f) => f !== 'site.yml').sort()
  const once = existsSync(join(dir, 'once')) ? readFileSync(join(dir, 'once'), 'utf8').trim().split('\n') : []
  const recap = Object.fromEntries(outcome.summary.hosts.map((h) => [h.host, [h.ok, h.changed, h.unreachable, h.failed, h.skipped]]))
  return { ...outcome, files, once, recap, events }
}

const ALL_FILES = HOSTS.flatMap((h) => [`${h}.a`, `${h}.b`, `${h}.handler`, `${h}.s`])

test('every host runs every task; the play-scoped step runs once with all hosts; handlers run once', async (t) => {
  const r = await run(t)
  t.is(r.summary.exitCode, 0)
  t.deepEqual(r.once, ['h1,h2,h3,h4'])
  t.deepEqual(r.files, ['once', ...ALL_FILES].sort())
  // ok counts changed tasks too: facts, a, fails(ok), s, once, b, handler
  t.deepEqual(r.recap.h1, [7, 4, 0, 0, 0])
  t.deepEqual(r.retry, [])
})

test('a second run changes nothing and does not notify', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'labplay-engine-again-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const first = await run(t, { vars: { dir } })
  t.is(first.summary.exitCode, 0)
  rmSync(join(dir, 'h1.handler'))
  const second = await run(t, { vars: { dir } })
  t.false(existsSync(join(dir, 'h1.handler')), 'handler not run without a change')
  t.deepEqual(second.recap.h1, [6, 0, 0, 0, 0])
})

test('a failing host stops its own pipeline, never another, and is left out of the barrier', async (t) => {
  const r = await run(t, { vars: { fail_on: 'h2' } })
  t.is(r.summary.exitCode, 2)
  t.deepEqual(r.once, ['h1,h3,h4'])
  t.false(r.files.includes('h2.b'))
  t.false(r.files.includes('h2.handler'), 'a failed host runs no handlers')
  t.true(r.files.includes('h3.b') && r.files.includes('h3.handler'))
  t.deepEqual(r.recap.h2, [2, 1, 0, 1, 0])
  t.deepEqual(r.retry, ['h2'])
  const failure = r.events.find((e) => e.type === 'task-end' && e.result.status === 'failed')
  t.like(failure, { host: 'h2', result: { message: 'boom on h2' } })
})

test('an unreachable host is counted, the others finish, exit 4', async (t) => {
  const r = await run(t, { down: ['h3'] })
  t.is(r.summary.exitCode, 4)
  t.deepEqual(r.once, ['h1,h2,h4'])
  t.deepEqual(r.recap.h3, [0, 0, 1, 0, 0])
  t.deepEqual(r.retry, ['h3'])
  t.true(r.files.includes('h4.b'))
})

test('a task condition skips one host only', async (t) => {
  const r = await run(t, { vars: { skip_on: 'h4' } })
  t.false(r.files.includes('h4.s'))
  t.true(r.files.includes('h4.b'))
  t.deepEqual(r.recap.h4, [6, 3, 0, 0, 1])
})

test('serial batches run in order, each with its own barrier', async (t) => {
  const r = await run(t, { serial: '2' })
  t.deepEqual(r.once, ['h1,h2', 'h3,h4'])
  const starts = r.events.filter((e) => e.type === 'play-start')
  t.deepEqual(starts.map((e) => e.type === 'play-start' && e.hosts), [['h1', 'h2'], ['h3', 'h4']])
})

test('check mode changes nothing and reports what would change', async (t) => {
  const r = await run(t, { opts: { check: true } })
  t.deepEqual(r.files, [])
  t.is(r.summary.exitCode, 0)
  t.true(r.recap.h1![1]! >= 3)
})

test('tags select tasks; a skipped play-scoped step does not wait', async (t) => {
  const r = await run(t, { opts: { tags: ['once'] } })
  t.deepEqual(r.once, ['h1,h2,h3,h4'])
  t.deepEqual(r.files, ['once'])
  const r2 = await run(t, { opts: { skipTags: ['once', 'failing'] } })
  t.deepEqual(r2.once, [])
  t.deepEqual(r2.recap.h1, [5, 4, 0, 0, 0])
})

test('an interrupt stops new steps: exit 99, unfinished hosts in the retry list', async (t) => {
  const abort = new AbortController()
  const pending = run(t, { vars: { sleep: 1 }, opts: { signal: abort.signal } })
  setTimeout(() => abort.abort(), 400)
  const r = await pending
  t.is(r.summary.exitCode, 99)
  t.true(r.summary.interrupted)
  t.deepEqual(r.retry, HOSTS)
  t.deepEqual(r.files.filter((f) => f.endsWith('.b')), [])
})

test('a role condition decides per host; one that cannot be evaluated fails those hosts, never the run', async (t) => {
  const skipped = await run(t, { when: "inventory_hostname != 'h2'" })
  t.deepEqual(skipped.recap.h2, [1, 0, 0, 0, 5])
  t.deepEqual(skipped.once, ['h1,h3,h4'])
  const broken = await run(t, { when: 'no_such_variable == 1' })
  t.is(broken.summary.exitCode, 2)
  for (const h of HOSTS) t.is(broken.recap[h]![3], 1, h)
  const failure = broken.events.find((e) => e.type === 'task-end' && e.result.status === 'failed')
  t.regex(failure?.type === 'task-end' ? failure.result.message ?? '' : '', /no_such_variable/)
})
