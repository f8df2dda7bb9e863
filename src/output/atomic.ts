import { randomBytes } from 'node:crypto'
import { chmod, rename, rm, writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

// Write beside the target and rename: a reader sees the old file or the new one, never half. `mode`: the
// new file's permissions (an edited file keeps its own).
export async function writeAtomic(file: string, content: string, mode?: number): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.${randomBytes(4).toString('hex')}.tmp`)
  try {
    await writeFile(tmp, content, mode === undefined ? {} : { mode })
    if (mode !== undefined) await chmod(tmp, mode)
    await rename(tmp, file)
  } catch (error) {
    await rm(tmp, { force: true })
    throw error
  }
}
