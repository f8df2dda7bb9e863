import { readdir, readFile, stat } from 'node:fs/promises'
import { extname, join } from 'node:path'
import { InputError } from '../errors.ts'
import { LockedVaultFileError, openVaultFile, revealAll } from '../vault/file.ts'
import type { Keyring } from '../vault/keyring.ts'
import { decodeUtf8 } from './text.ts'
import type { Inventory, VarsDir, VarsEntry } from './types.ts'
import { plain, readYaml } from './yaml-source.ts'

// Ansible tries a bare name first (so a folder wins), then these, and takes the first that exists.
const EXTENSIONS = ['', '.yml', '.yaml', '.json']

// How a vars file is read: shown under its display name, decrypted with the run's vault passwords.
export interface VarsReader {
  show: (path: string) => string
  vault?: Keyring
  // Where inventory scripts run (the current folder, as in Ansible).
  cwd?: string
  lockedVars?: LockedVars
}

// Why a vars file encrypted whole is not read (the error names the file), when the reader goes on without it
// because no password given opens it: as Ansible's `--list-hosts` and `ansible-inventory --graph`, which never decrypt vars.
export type LockedVars = (why: InputError) => void

// Reads group_vars/ and host_vars/ in `dir` (beside an inventory source, or beside the playbook) for the
// groups and hosts the inventory knows, as Ansible's host_group_vars plugin: `web.yml` or a folder `web/`
// whose files merge in sorted order; a file may be encrypted whole with ansible-vault.
export async function loadVarsDir(dir: string, inv: Inventory, reader: VarsReader): Promise<VarsDir> {
  const groups = new Map<string, VarsEntry>()
  for (const [name, files] of await varsFiles(join(dir, 'group_vars'), [...inv.groups.keys()])) groups.set(name, await readVars(files, reader))
  const hosts = new Map<string, VarsEntry>()
  for (const [name, files] of await varsFiles(join(dir, 'host_vars'), [...inv.hosts.keys()])) hosts.set(name, await readVars(files, reader))
  return { dir, groups, hosts }
}

async function varsFiles(dir: string, names: string[]): Promise<Map<string, string[]>> {
  const found = new Map<string, string[]>()
  const entries = await listDir(dir)
  if (!entries) return found
  for (const name of names) {
    const path = entryPath(dir, name, entries)
    if (path !== undefined) found.set(name, (await stat(path)).isDirectory() ? await folderFiles(path) : [path])
  }
  return found
}

// Where `name`'s vars live in a group_vars/ or host_vars/ folder (`image publish` writes there): the folder
// or file that Ansible's rule picks, or undefined when there is none.
export async function varsEntryPath(dir: string, name: string): Promise<string | undefined> {
  const entries = await listDir(dir)
  return entries && entryPath(dir, name, entries)
}

function entryPath(dir: string, name: string, entries: Set<string>): string | undefined {
  if (name.includes('/') || name === '.' || name === '..') return undefined
  const entry = EXTENSIONS.map((ext) => name + ext).find((candidate) => entries.has(candidate))
  return entry === undefined ? undefined : join(dir, entry)
}

async function listDir(dir: string): Promise<Set<string> | undefined> {
  try {
    return new Set(await readdir(dir))
  } catch {
    return undefined
  }
}

async function folderFiles(dir: string): Promise<string[]> {
  const files: string[] = []
  for (const entry of (await readdir(dir, { withFileTypes: true })).map((e) => e.name).sort()) {
    if (entry.startsWith('.') || entry.endsWith('~')) continue
    const path = join(dir, entry)
    const ext = extname(entry)
    const info = await stat(path)
    if (info.isDirectory() && !ext) files.push(...(await folderFiles(path)))
    else if (info.isFile() && EXTENSIONS.includes(ext)) files.push(path)
  }
  return files
}

async function readVars(files: string[], reader: VarsReader): Promise<VarsEntry> {
  const out: VarsEntry = { vars: {}, places: {} }
  for (const file of files) {
    const shown = reader.show(file)
    const raw = decodeUtf8(await readFile(file), shown)
    let opened
    try {
      opened = openVaultFile(raw, reader.vault, { file: shown })
    } catch (err) {
      // Only a file no password opens: a damaged one (not vault data, not UTF-8 once decrypted) stays an error.
      if (!(reader.lockedVars && err instanceof LockedVaultFileError)) throw err
      reader.lockedVars(err)
      continue
    }
    const { text, encrypted } = opened
    const root = await readYaml(text, shown, reader.vault)
    const data = plain(root)
    if (data === null) continue
    if (typeof data !== 'object' || Array.isArray(data)) {
      throw new InputError('a vars file must be a mapping of variable names to values', root.place)
    }
    if (encrypted) revealAll(data)
    Object.assign(out.vars, data)
    if (root.kind === 'map') for (const entry of root.entries) out.places[String(entry.key)] = entry.place
  }
  return out
}
