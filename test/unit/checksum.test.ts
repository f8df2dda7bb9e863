import test from 'ava'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { checksum } from '../../src/sdk/checksum.ts'
import { bashIO, tempDir } from './primitive-harness.ts'

const sha = (data: string) => createHash('sha256').update(data).digest('hex')

test('checksum: hashes once, then trusts the stamp while size, mtime and inode stay', async (t) => {
  const { dir, cleanup } = tempDir()
  t.teardown(cleanup)
  const file = join(dir, 'img $(x).qcow2')
  writeFileSync(file, 'first')
  const io = bashIO(dir)
  t.deepEqual(await checksum(io, file), { sha256: sha('first'), size: 5 })
  const stamp = join(dir, '.img $(x).qcow2.sha256')
  t.true(existsSync(stamp))
  // A forged stamp for the same stat is trusted: proof that the second call did not rehash.
  writeFileSync(stamp, readFileSync(stamp, 'utf8').replace(sha('first'), 'f'.repeat(64)))
  t.is((await checksum(io, file))!.sha256, 'f'.repeat(64))
  writeFileSync(file, 'other')
  utimesSync(file, new Date(), new Date(Date.now() + 5000))
  t.is((await checksum(io, file))!.sha256, sha('other'), 'a changed file is rehashed')
})

test('checksum: a missing file is undefined; check mode writes no stamp', async (t) => {
  const { dir, cleanup } = tempDir()
  t.teardown(cleanup)
  t.is(await checksum(bashIO(dir), join(dir, 'nope')), undefined)
  writeFileSync(join(dir, 'a'), 'x')
  t.is((await checksum(bashIO(dir, { check: true }), join(dir, 'a')))!.sha256, sha('x'))
  t.false(existsSync(join(dir, '.a.sha256')))
})
