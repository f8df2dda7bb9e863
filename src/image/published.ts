import { readdir, realpath, stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { isHostList, sourcePath } from '../inventory/default.ts'
import { readHistory, type HistoryEntry } from './history.ts'

// Whether a disk file is a published version of some group's image (its path, or the same inode under another
// name): published bytes are a reference that the seats verify against, so `image edit` never writes them.

const HISTORY = /^\.(.+)\.image-history\.yml$/

export interface Published {
  group: string
  history: string
  entry: HistoryEntry
}

// The inventory source's group_vars/ (beside a file, inside a folder), as the inventory reader finds it; a host
// list (`-i h1,h2,`) has none.
export async function groupVarsOf(source: string, cwd: string): Promise<string | undefined> {
  if (isHostList(source, cwd)) return undefined
  const path = sourcePath(source, cwd)
  return join((await stat(path)).isDirectory() ? path : dirname(path), 'group_vars')
}

export async function publishedAs(file: string, groupVarsDir: string): Promise<Published | undefined> {
  const names = await readdir(groupVarsDir).catch(() => [] as string[])
  const target = await stat(file)
  const real = await realpath(file)
  for (const name of names.sort()) {
    const group = HISTORY.exec(name)?.[1]
    if (group === undefined) continue
    const history = join(groupVarsDir, name)
    for (const entry of (await readHistory(history)).reverse()) {
      const st = await stat(entry.image.source).catch(() => undefined)
      if (entry.image.source === real || (st && st.dev === target.dev && st.ino === target.ino)) return { group, history, entry }
    }
  }
  return undefined
}
