import test from 'ava'
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { quote } from '../../src/sdk/quote.ts'
import { renameWithStamp, stampKeyCommand, stampPath } from '../../src/sdk/stamp.ts'
import { bash, tempDir } from './primitive-harness.ts'

test('a stamp sits beside its file as .<name>.<kind>', (t) => {
  t.is(stampPath('/srv/images/a.qcow2'), '/srv/images/.a.qcow2.sha256')
  t.is(stampPath('/srv/images/a.qcow2', 'checked'), '/srv/images/.a.qcow2.checked')
  t.is(stampPath('/a.qcow2.part'), '/.a.qcow2.part.sha256')
})

test('the key is size, mtime to the nanosecond and inode', (t) => {
  const { dir, cleanup } = tempDir()
  t.teardown(cleanup)
  const file = join(dir, "it's $(x)")
  writeFileSync(file, 'five!')
  const st = statSync(file, { bigint: true })
  const [size, mtime, inode] = bash(stampKeyCommand(quote(file))).stdout.trim().split(' ')
  t.is(size, '5')
  t.is(inode, String(st.ino))
  t.is(mtime!.replace('.', ''), String(st.mtimeNs).padStart(10, '0'))
})

// The rename a verified .part takes its final name with: the stamp follows, so the image is not hashed again.
const renames: Array<[string, { fromStamp: boolean; toStamp: boolean }, string | undefined]> = [
  ['the stamp moves with the file', { fromStamp: true, toStamp: false }, 'new'],
  ['it replaces the stamp of the file it replaces', { fromStamp: true, toStamp: true }, 'new'],
  ['without a stamp, the old file\'s stamp goes', { fromStamp: false, toStamp: true }, undefined],
]
for (const [title, { fromStamp, toStamp }, stamp] of renames) {
  test(`renameWithStamp: ${title}`, (t) => {
    const { dir, cleanup } = tempDir()
    t.teardown(cleanup)
    const [from, to] = [join(dir, 'img.part'), join(dir, 'img $1')]
    writeFileSync(from, 'bytes')
    writeFileSync(to, 'old bytes')
    if (fromStamp) writeFileSync(stampPath(from), 'new')
    if (toStamp) writeFileSync(stampPath(to), 'old')
    t.is(bash(renameWithStamp(from, to)).code, 0)
    t.is(readFileSync(to, 'utf8'), 'bytes')
    t.false(existsSync(from))
    t.false(existsSync(stampPath(from)))
    t.is(existsSync(stampPath(to)) ? readFileSync(stampPath(to), 'utf8') : undefined, stamp)
  })
}
