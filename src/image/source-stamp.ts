import { readFile, stat } from 'node:fs/promises'
import { writeAtomic } from '../output/atomic.ts'
import { stampKeyOf, stampPath } from '../sdk/stamp.ts'

// The sha256 stamp beside a published source file (the SDK's stamp: `.<name>.sha256`, the line `<sha256> <key>`),
// so that a rollback to it reads no 60 GB again while its size, mtime and inode are unchanged.

// Writes the stamp; a folder the admin cannot write to is only a warning (a rollback will hash the file again).
export async function writeSourceStamp(file: string, sha256: string, key: string): Promise<string | undefined> {
  try {
    await writeAtomic(stampPath(file), `${sha256} ${key}\n`)
    return undefined
  } catch (err) {
    return `cannot write ${stampPath(file)} (${(err as NodeJS.ErrnoException).code ?? String(err)}): a rollback to this version will hash it again`
  }
}

// The stamped sha256 when the stamp's key is the file's key now; undefined when there is no stamp or the file changed.
export async function stampedSha256(file: string): Promise<string | undefined> {
  const [line, st] = await Promise.all([readFile(stampPath(file), 'utf8').catch(() => ''), stat(file, { bigint: true })])
  const space = line.indexOf(' ')
  const [sha, key] = [line.slice(0, space), line.slice(space + 1).trim()]
  return space > 0 && /^[0-9a-f]{64}$/.test(sha) && key === stampKeyOf(st) ? sha : undefined
}
