import test from 'ava'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { appendFileSync, existsSync, linkSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { hashFile } from '../../src/image/hash.ts'
import { stampedSha256, writeSourceStamp } from '../../src/image/source-stamp.ts'
import { openWriters } from '../../src/image/writers.ts'
import { stampKeyOf, stampPath, STAMP_KEY } from '../../src/sdk/stamp.ts'

// The controller's side of an image file: its hash (refused when the file changes meanwhile), who writes it
// (/proc), and the stamp that spares a rollback the hash.

const children: ChildProcess[] = []
test.after.always(() => children.forEach((c) => c.kill('SIGKILL')))

function temp(t: { teardown: (f: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'labplay-image-files-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

// A shell holding `file` open on fd 3 (`>>`: for writing, `<`: for reading) until the test ends.
async function holder(redirect: string, file: string): Promise<number> {
  const child = spawn('sh', ['-c', `exec 3${redirect}"$1"; echo ready; exec sleep 60`, 'sh', file], { stdio: ['ignore', 'pipe', 'ignore'] })
  children.push(child)
  await new Promise((resolve) => child.stdout!.once('data', resolve))
  return child.pid!
}

test('the sha256 of the bytes, the size, and the stamp key as stat -c prints it', async (t) => {
  const file = join(temp(t), 'a.qcow2')
  const data = Buffer.alloc(9 * 1024 * 1024 + 7, 0x5a)
  writeFileSync(file, data)
  const seen: number[] = []
  const hashed = await hashFile(file, (n) => seen.push(n))
  t.is(hashed.sha256, createHash('sha256').update(data).digest('hex'))
  t.is(hashed.size, data.length)
  t.deepEqual(seen, [4 * 1024 * 1024, 8 * 1024 * 1024, data.length], 'progress per 4 MiB read')
  t.is(hashed.key, spawnSync('stat', ['-c', STAMP_KEY, file], { encoding: 'utf8' }).stdout.trim())
  t.is(stampKeyOf(statSync(file, { bigint: true })), hashed.key)
})

test('a file that grows while it is hashed is refused', async (t) => {
  const file = join(temp(t), 'a.qcow2')
  writeFileSync(file, Buffer.alloc(12 * 1024 * 1024))
  let once = false
  const err = await t.throwsAsync(hashFile(file, () => {
    if (!once) appendFileSync(file, 'more')
    once = true
  }))
  t.regex(err!.message, /a\.qcow2 changed while it was hashed \(size, mtime, inode: 12582912 \S+ \d+ before, 12582916 \S+ \d+ after; 12582916 bytes read\): is something still writing it\?/)
})

test('a file rewritten in place (same size, new mtime) while it is hashed is refused', async (t) => {
  const file = join(temp(t), 'a.qcow2')
  writeFileSync(file, Buffer.alloc(12 * 1024 * 1024))
  let once = false
  const err = await t.throwsAsync(hashFile(file, () => {
    if (!once) utimesSync(file, new Date(), new Date(Date.now() + 5000))
    once = true
  }))
  t.regex(err!.message, /changed while it was hashed/)
})

test('writers: a process holding the file open for writing is named, a reader is not; a hard link counts', async (t) => {
  const dir = temp(t)
  const file = join(dir, 'master.qcow2')
  writeFileSync(file, 'x')
  t.deepEqual(openWriters(file), [])
  const reader = await holder('<', file)
  t.deepEqual(openWriters(file), [], `reader pid ${reader} is no writer`)
  linkSync(file, join(dir, 'other-name.qcow2'))
  const writer = await holder('>>', join(dir, 'other-name.qcow2'))
  t.deepEqual(openWriters(file), [{ pid: writer, comm: 'sleep' }])
})

test('the stamp: written beside the file, believed while size, mtime and inode hold', async (t) => {
  const file = join(temp(t), 'a.qcow2')
  writeFileSync(file, 'bytes')
  const hashed = await hashFile(file)
  t.is(await stampedSha256(file), undefined, 'no stamp yet')
  t.is(await writeSourceStamp(file, hashed.sha256, hashed.key), undefined)
  t.is(readFileSync(stampPath(file), 'utf8'), `${hashed.sha256} ${hashed.key}\n`, 'the line checksum.ts reads on the seats')
  t.is(await stampedSha256(file), hashed.sha256)
  await sleep(10)
  writeFileSync(file, 'BYTES')
  t.is(await stampedSha256(file), undefined, 'rewritten: the stamp no longer speaks for it')
})

test('a stamp that cannot be written is a warning, not a failure', async (t) => {
  const dir = temp(t)
  const file = join(dir, 'missing-folder', 'a.qcow2')
  t.regex((await writeSourceStamp(file, 'a'.repeat(64), '1 1.0 1'))!, /^cannot write .*\.a\.qcow2\.sha256 \(ENOENT\): a rollback to this version will hash it again$/)
  t.false(existsSync(stampPath(file)))
})
