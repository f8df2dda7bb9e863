import { createHash } from 'node:crypto'
import { open, stat } from 'node:fs/promises'
import { InputError } from '../errors.ts'
import { stampKeyOf } from '../sdk/stamp.ts'

// What was read: the sha256 of exactly `size` bytes, and the stamp key (size, mtime, inode) the file had
// before and after, which were the same.
export interface HashedFile {
  sha256: string
  size: number
  key: string
}

// Large reads: few system calls and one buffer for the whole file.
const CHUNK = 4 * 1024 * 1024

// The sha256 of a file that nothing changes meanwhile: its size, mtime and inode are taken before and after,
// and a difference (a writer, a copy over it) refuses the result. `progress` hears the bytes read so far.
export async function hashFile(file: string, progress: (done: number) => void = () => {}): Promise<HashedFile> {
  const before = stampKeyOf(await stat(file, { bigint: true }))
  const handle = await open(file, 'r')
  const hash = createHash('sha256')
  const buffer = Buffer.allocUnsafe(CHUNK)
  let done = 0
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, CHUNK, done)
      if (bytesRead === 0) break
      hash.update(buffer.subarray(0, bytesRead))
      done += bytesRead
      progress(done)
    }
  } finally {
    await handle.close()
  }
  const after = stampKeyOf(await stat(file, { bigint: true }))
  const size = Number(before.split(' ')[0])
  if (after !== before || done !== size) {
    throw new InputError(`${file} changed while it was hashed (size, mtime, inode: ${before} before, ${after} after; ${done} bytes read): is something still writing it?`)
  }
  return { sha256: hash.digest('hex'), size, key: before }
}
