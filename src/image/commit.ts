import { mkdir, readFile, stat } from 'node:fs/promises'
import { dirname, relative } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { withFileLock } from '../connection/file-lock.ts'
import { plain, readYaml } from '../inventory/yaml-source.ts'
import { writeAtomic } from '../output/atomic.ts'
import { checkManifest, type ImageManifest } from '../sdk/manifest.ts'
import { isVaultText } from '../vault/format.ts'
import { appendHistory, readHistory, type HistoryEntry } from './history.ts'
import type { ImageHome } from './home.ts'
import { withManifest } from './manifest-yaml.ts'

// Makes `manifest` the group's image: under a lock (two admins publishing at once take turns), the history gets
// the entry (and, the first time, the manifest that was there before), then the group_vars file is replaced
// atomically. A crash in between leaves an entry that never became current, never a half-written file.
export async function commitManifest(home: ImageHome, manifest: ImageManifest, action: 'publish' | 'rollback', by: string, now = new Date()): Promise<void> {
  await mkdir(dirname(home.file), { recursive: true })
  await withFileLock(home.historyFile, async () => {
    const [text, mode] = await readExisting(home.file)
    const history = await readHistory(home.historyFile)
    const at = now.toISOString()
    const entries: HistoryEntry[] = []
    const before = text === undefined ? undefined : await manifestIn(text, home.file)
    if (before && !history.some((e) => isDeepStrictEqual(e.image, before))) entries.push({ at, by, action: 'found', image: before })
    entries.push({ at, by, action, image: manifest })
    const header = `The image manifest, written by labplay image publish | rollback;\nevery earlier one is in ${relative(dirname(home.file), home.historyFile)}.`
    const next = await withManifest(text ?? '', manifest, home.file, header)
    await appendHistory(home.historyFile, entries, home.group, history.length === 0)
    await writeAtomic(home.file, next, mode)
  })
}

async function readExisting(file: string): Promise<[string | undefined, number | undefined]> {
  try {
    return [await readFile(file, 'utf8'), (await stat(file)).mode & 0o7777]
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [undefined, undefined]
    throw err
  }
}

// The valid manifest the file holds now (read again under the lock), if any.
async function manifestIn(text: string, file: string): Promise<ImageManifest | undefined> {
  if (isVaultText(text) || text.trim() === '') return undefined
  const data = plain(await readYaml(text, file)) as Record<string, unknown> | null
  return checkManifest(data?.image).manifest
}
