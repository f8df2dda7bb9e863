import { readdir, readFile, stat } from 'node:fs/promises'
import { extname, join } from 'node:path'
import { InputError } from '../errors.ts'
import type { Vars } from '../vars.ts'
import { decodeUtf8 } from './text.ts'
import type { Inventory } from './types.ts'
import { plain, readYaml } from './yaml-source.ts'

// Ansible tries a bare name first (so a folder wins), then these, and takes the first that exists.
const EXTENSIONS = ['', '.yml', '.yaml', '.json']

// Reads group_vars/ and host_vars/ in `dir` (the folder of an inventory source) for the groups and
// hosts the inventory knows, as Ansible's host_group_vars plugin: `web.yml` or a folder `web/`
// whose files merge in sorted order. Later sources override earlier ones.
export async function loadVarsDirs(dir: string, inv: Inventory, show: (path: string) => string): Promise<void> {
  const groupFiles = await varsFiles(join(dir, 'group_vars'), [...inv.groups.keys()])
  for (const [name, files] of groupFiles) {
    const group = inv.groups.get(name)
    if (group) group.fileVars = { ...group.fileVars, ...(await readVars(files, show)) }
  }
  const hostFiles = await varsFiles(join(dir, 'host_vars'), [...inv.hosts.keys()])
  for (const [name, files] of hostFiles) {
    const host = inv.hosts.get(name)
    if (host) host.fileVars = { ...host.fileVars, ...(await readVars(files, show)) }
  }
}

async function varsFiles(dir: string, names: string[]): Promise<Map<string, string[]>> {
  const found = new Map<string, string[]>()
  const entries = await listDir(dir)
  if (!entries) return found
  for (const name of names) {
    if (name.includes('/') || name === '.' || name === '..') continue
    const entry = EXTENSIONS.map((ext) => name + ext).find((candidate) => entries.has(candidate))
    if (entry === undefined) continue
    const path = join(dir, entry)
    found.set(name, (await stat(path)).isDirectory() ? await folderFiles(path) : [path])
  }
  return found
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

async function readVars(files: string[], show: (path: string) => string): Promise<Vars> {
  const vars: Vars = {}
  for (const file of files) {
    const root = await readYaml(decodeUtf8(await readFile(file), show(file)), show(file))
    const data = plain(root)
    if (data === null) continue
    if (typeof data !== 'object' || Array.isArray(data)) {
      throw new InputError('a vars file must be a mapping of variable names to values', root.place)
    }
    Object.assign(vars, data)
  }
  return vars
}
