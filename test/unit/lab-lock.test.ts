import test from 'ava'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { withLock } from '../lab/lock.ts'

const LOCK_MODULE = fileURLToPath(new URL('../lab/lock.ts', import.meta.url))

// Two test files building the seat base at once: the second waits for the first, then finds it built.
let dir: string
test.before(() => { dir = mkdtempSync(join(tmpdir(), 'labplay-lock-')) })
test.after.always(() => rmSync(dir, { recursive: true, force: true }))

test('holders of one lock run one after the other', async (t) => {
  const lock = join(dir, 'a.lock')
  const events: string[] = []
  const hold = (name: string) => withLock(lock, 10_000, async () => {
    events.push(`${name} in`)
    await sleep(200)
    events.push(`${name} out`)
  })
  await Promise.all([hold('first'), hold('second')])
  t.deepEqual(events.map((e) => e.split(' ')[1]), ['in', 'out', 'in', 'out'])
})

test('a lock whose holder process died is free again, and a wait for a held lock is bounded', async (t) => {
  const lock = join(dir, 'b.lock')
  const code = `const { withLock } = await import(${JSON.stringify(LOCK_MODULE)})
    await withLock(${JSON.stringify(lock)}, 5000, async () => { console.log('held'); await new Promise(() => {}) })`
  const holder = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] })
  await new Promise((resolve) => holder.stdout.once('data', resolve))
  const err = await t.throwsAsync(withLock(lock, 1_000, async () => 'never'))
  t.regex(err?.message ?? '', /could not lock .*b\.lock within 1 s/)
  holder.kill('SIGKILL')
  t.is(await withLock(lock, 5_000, async () => 'got it'), 'got it')
})
