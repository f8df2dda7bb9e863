import test from 'ava'
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { withFileLock } from '../../src/connection/file-lock.ts'

const dir = mkdtempSync(join(tmpdir(), 'labplay-file-lock-'))
test.after.always(() => rmSync(dir, { recursive: true, force: true }))
let n = 0
const file = () => join(dir, `known_hosts-${++n}`)

test('a second holder waits until the first has finished, and the lock is gone after both', async (t) => {
  const f = file()
  const order: string[] = []
  const first = withFileLock(f, async () => {
    order.push('first in')
    await delay(150)
    order.push('first out')
  })
  await delay(20)
  const second = withFileLock(f, async () => void order.push('second'))
  await Promise.all([first, second])
  t.deepEqual(order, ['first in', 'first out', 'second'])
  t.false(existsSync(`${f}.lock`))
})

test('the lock is released when the task throws', async (t) => {
  const f = file()
  await t.throwsAsync(withFileLock(f, async () => { throw new Error('boom') }), { message: 'boom' })
  t.false(existsSync(`${f}.lock`))
  t.is(await withFileLock(f, async () => 'again'), 'again')
})

test('a lock left by a dead process (older than staleMs) is broken', async (t) => {
  const f = file()
  writeFileSync(`${f}.lock`, '99999 elsewhere\n')
  const old = new Date(Date.now() - 60_000)
  utimesSync(`${f}.lock`, old, old)
  t.regex(await withFileLock(f, async () => readFileSync(`${f}.lock`, 'utf8'), { staleMs: 10_000 }), new RegExp(`^${process.pid} ${hostname()} [0-9a-f]{16}\n$`))
  t.false(existsSync(`${f}.lock`))
})

test('a live lock that is never released: a clear error naming the holder after waitMs', async (t) => {
  const f = file()
  writeFileSync(`${f}.lock`, '4242 admin-pc\n')
  const started = Date.now()
  await t.throwsAsync(withFileLock(f, async () => t.fail('ran without the lock'), { waitMs: 300, staleMs: 60_000 }), {
    message: `cannot lock ${f}: ${f}.lock is held by pid 4242 on admin-pc; remove it if no labplay is running`,
  })
  t.true(Date.now() - started >= 300)
  t.true(existsSync(`${f}.lock`), "someone else's lock is left alone")
})

test('a lock broken while its holder was stopped is not removed by that holder', async (t) => {
  const f = file()
  await withFileLock(f, async () => {
    rmSync(`${f}.lock`)
    writeFileSync(`${f}.lock`, '777 other\n')
  })
  t.is(readFileSync(`${f}.lock`, 'utf8'), '777 other\n')
})
