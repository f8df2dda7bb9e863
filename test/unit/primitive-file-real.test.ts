import test from 'ava'
import { testWhere } from '../helpers/test-where.ts'
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { file } from '../../src/sdk/primitives/file.ts'
import { bashIO, HOSTILE, tempDir } from './primitive-harness.ts'

// Real runs: every command goes through bash on this machine, inside a fresh temp folder.

const leftovers = (dir: string): string[] => readdirSync(dir).filter((name) => name.startsWith('.labplay.'))
const modeOf = (path: string): number => statSync(path).mode & 0o7777

test('create, then nothing to do, then update', async (t) => {
  const { dir, cleanup } = tempDir()
  t.teardown(cleanup)
  const path = join(dir, 'app.conf')
  const created = await file(bashIO(dir), path, { content: 'x=1\n', mode: '0640' })
  t.deepEqual(created, { changed: true, message: `created ${path}` })
  t.is(readFileSync(path, 'utf8'), 'x=1\n')
  t.is(modeOf(path), 0o640)

  const again = bashIO(dir)
  t.deepEqual(await file(again, path, { content: 'x=1\n', mode: '0640' }), { changed: false })
  t.deepEqual(again.runs(), [])

  const updated = await file(bashIO(dir), path, { content: 'x=2\n' })
  t.deepEqual(updated, { changed: true, message: `updated ${path}` })
  t.is(readFileSync(path, 'utf8'), 'x=2\n')
  t.is(modeOf(path), 0o640, 'an update keeps the mode')
  t.deepEqual(leftovers(dir), [])
})

test('a new file without mode gets what umask gives', async (t) => {
  const { dir, cleanup } = tempDir()
  t.teardown(cleanup)
  await file(bashIO(dir, { prefix: 'umask 027\n' }), join(dir, 'a'), { content: '' })
  t.is(modeOf(join(dir, 'a')), 0o640)
})

test('only the mode changes: chmod, same inode', async (t) => {
  const { dir, cleanup } = tempDir()
  t.teardown(cleanup)
  const path = join(dir, 'a')
  writeFileSync(path, 'same')
  chmodSync(path, 0o644)
  const inode = statSync(path).ino
  const io = bashIO(dir)
  t.true((await file(io, path, { content: 'same', mode: '0600' })).changed)
  t.is(modeOf(path), 0o600)
  t.is(statSync(path).ino, inode)
  t.false((await file(bashIO(dir), path, { content: 'same', mode: 0o600 })).changed)
})

test('validate failure keeps the old file and removes the temp file', async (t) => {
  const { dir, cleanup } = tempDir()
  t.teardown(cleanup)
  const path = join(dir, 'smb.conf')
  writeFileSync(path, 'good\n')
  const validate = `grep -q '^good' %s || { echo "line 1: expected good" >&2; exit 3; } # a comment`
  await t.throwsAsync(file(bashIO(dir), path, { content: 'bad\n', validate }), {
    name: 'StepError',
    message: 'validation failed: line 1: expected good\nvalidate command exited 3',
  })
  t.is(readFileSync(path, 'utf8'), 'good\n')
  t.deepEqual(leftovers(dir), [])
  t.true((await file(bashIO(dir), path, { content: 'good, better\n', validate })).changed)
  t.is(readFileSync(path, 'utf8'), 'good, better\n')
})

test('a write that fails half way (file size limit) keeps the old content', async (t) => {
  const { dir, cleanup } = tempDir()
  t.teardown(cleanup)
  const path = join(dir, 'big')
  writeFileSync(path, 'old')
  const io = bashIO(dir, { prefix: 'ulimit -f 1\n' })
  await t.throwsAsync(file(io, path, { content: 'x'.repeat(64 * 1024) }), { name: 'StepError', message: /^cannot write / })
  t.is(readFileSync(path, 'utf8'), 'old')
  t.deepEqual(leftovers(dir), [])
})

test('check mode changes nothing and says what it would do', async (t) => {
  const { dir, cleanup } = tempDir()
  t.teardown(cleanup)
  const path = join(dir, 'a')
  const io = bashIO(dir, { check: true })
  t.deepEqual(await file(io, path, { content: 'x' }), { changed: true, message: `would create ${path}` })
  t.false(existsSync(path))
  writeFileSync(path, 'x')
  t.deepEqual(await file(bashIO(dir, { check: true }), path, { content: 'y', mode: '0600' }), { changed: true, message: `would update ${path}` })
  t.is(readFileSync(path, 'utf8'), 'x')
  t.deepEqual(io.runs(), [])
})

test('diff mode shows a unified diff of the real old content', async (t) => {
  const { dir, cleanup } = tempDir()
  t.teardown(cleanup)
  const path = join(dir, 'hosts')
  writeFileSync(path, '127.0.0.1 localhost\n10.0.0.1 old\n::1 localhost\n')
  const outcome = await file(bashIO(dir, { diff: true }), path, { content: '127.0.0.1 localhost\n10.0.0.2 new\n::1 localhost\n' })
  t.is(outcome.diff?.text, `--- before${path}\n+++ after${path}\n@@ -1,3 +1,3 @@\n 127.0.0.1 localhost\n-10.0.0.1 old\n+10.0.0.2 new\n ::1 localhost\n`)
})

test('backup keeps the old file beside the new one', async (t) => {
  const { dir, cleanup } = tempDir()
  t.teardown(cleanup)
  const path = join(dir, 'a')
  writeFileSync(path, 'old')
  await file(bashIO(dir), path, { content: 'new', backup: true })
  const backups = readdirSync(dir).filter((name) => /^a\.\d{8}-\d{6}~$/.test(name))
  t.is(backups.length, 1)
  t.is(readFileSync(join(dir, backups[0]), 'utf8'), 'old')
})

test('binary content round-trips and converges', async (t) => {
  const { dir, cleanup } = tempDir()
  t.teardown(cleanup)
  const path = join(dir, 'blob')
  const content = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256))
  t.true((await file(bashIO(dir, { diff: true }), path, { content })).changed)
  t.deepEqual(readFileSync(path), content)
  t.false((await file(bashIO(dir, { diff: true }), path, { content })).changed)
})

test('a symlink at the path is replaced by the file; its target is untouched', async (t) => {
  const { dir, cleanup } = tempDir()
  t.teardown(cleanup)
  writeFileSync(join(dir, 'target'), 'keep')
  symlinkSync('target', join(dir, 'link'))
  await file(bashIO(dir), join(dir, 'link'), { content: 'new' })
  t.true(lstatSync(join(dir, 'link')).isFile())
  t.is(readFileSync(join(dir, 'target'), 'utf8'), 'keep')
})

test('a missing parent folder is a clear error', async (t) => {
  const { dir, cleanup } = tempDir()
  t.teardown(cleanup)
  await t.throwsAsync(file(bashIO(dir), join(dir, 'no/such/a'), { content: 'x' }), { message: /^cannot write .*mktemp/s })
})

testWhere(false)('owner and group change by name (root only)', async (t) => {
  const { dir, cleanup } = tempDir()
  t.teardown(cleanup)
  const path = join(dir, 'a')
  writeFileSync(path, 'x')
  t.true((await file(bashIO(dir), path, { content: 'x', owner: 'nobody', group: 'nogroup' })).changed)
  t.not(statSync(path).uid, 0)
  t.false((await file(bashIO(dir), path, { content: 'x', owner: 'nobody', group: 'nogroup' })).changed)
  await file(bashIO(dir), path, { content: 'y' })
  t.not(statSync(path).uid, 0, 'a content update keeps the owner')
})

test('hostile paths and contents are written literally, nothing is executed', async (t) => {
  const { dir, cleanup } = tempDir()
  t.teardown(cleanup)
  const sub = join(dir, '-dir $(touch pwned) `touch pwned2`')
  mkdirSync(sub)
  for (const [i, name] of HOSTILE.entries()) {
    const path = join(sub, name.replaceAll('/', '_'))
    const content = `${HOSTILE.join('\n')}\n${i}`
    t.true((await file(bashIO(dir, { diff: true }), path, { content, mode: '0600' })).changed, name)
    t.is(readFileSync(path, 'utf8'), content, name)
    t.false((await file(bashIO(dir), path, { content, mode: '0600' })).changed, name)
  }
  t.deepEqual(readdirSync(dir).sort(), ['-dir $(touch pwned) `touch pwned2`'])
  t.is(readdirSync(sub).length, HOSTILE.length)
  t.false(existsSync(join(dir, 'pwned')))
  t.is(readlinkSafe(join(dir, 'pwned3')), undefined)
})

function readlinkSafe(path: string): string | undefined {
  try {
    return readlinkSync(path)
  } catch {
    return undefined
  }
}
