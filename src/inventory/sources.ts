import { readdir, readFile, stat } from 'node:fs/promises'
import { dirname, extname, isAbsolute, join, relative, resolve } from 'node:path'
import { InputError } from '../errors.ts'
import { isHostList, sourcePath } from './default.ts'
import { parseAddress } from './address.ts'
import { parseIni } from './ini.ts'
import { addHost, emptyInventory, reconcile } from './model.ts'
import type { Inventory } from './types.ts'
import { loadVarsDir, type LockedVars, type VarsReader } from './vars-dirs.ts'
import { openVaultFile } from '../vault/file.ts'
import type { Keyring } from '../vault/keyring.ts'
import { decodeUtf8 } from './text.ts'
import { parseYamlInventory } from './yaml.ts'
import { readYaml } from './yaml-source.ts'
import { runInventoryPlugin } from './plugins.ts'
import { readInventoryScript } from './script.ts'

const YAML_EXTENSIONS = ['.yml', '.yaml', '.json']
// What Ansible skips in an inventory folder: hidden files, vars folders, and these extensions
// (INVENTORY_IGNORE_EXTS; yes, `.ini` too: in a folder, name INI files without an extension).
const IGNORED = /^\.|^host_vars$|^group_vars$|^vars_plugins$|(\.pyc|\.pyo|\.swp|\.bak|~|\.rpm|\.md|\.txt|\.rst|\.orig|\.ini|\.cfg|\.retry)$/

export interface LoadOptions {
  cwd?: string
  // The run's vault passwords: for files encrypted whole, and for `!vault` values when they are used.
  vault?: Keyring
  // The playbook's folder: its group_vars/ and host_vars/ rank above the inventory's, as in Ansible.
  playbookDir?: string
  // A reader that needs the groups only: a vars file no password opens is skipped and named here, not refused.
  lockedVars?: LockedVars
}

// Reads the -i sources in order into one inventory, then group_vars/ and host_vars/ beside each, then
// beside the playbook. A source is a file (YAML or INI, told apart as Ansible does), a folder of such
// files, or a host list "h1,h2," (it has a comma and is not an existing path).
export async function loadInventory(sources: string[], opts: LoadOptions = {}): Promise<Inventory> {
  const cwd = opts.cwd ?? process.cwd()
  const show = (path: string): string => {
    const rel = relative(cwd, path)
    return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path
  }
  try {
    return await load(sources, cwd, { show, vault: opts.vault, cwd, lockedVars: opts.lockedVars }, opts.playbookDir)
  } catch (e) {
    const io = e as NodeJS.ErrnoException
    if (e instanceof InputError || typeof io.code !== 'string' || typeof io.path !== 'string') throw e
    throw new InputError(`cannot read the inventory: ${io.code}`, { file: show(io.path) })
  }
}

async function load(sources: string[], cwd: string, reader: VarsReader, playbookDir: string | undefined): Promise<Inventory> {
  const inv = emptyInventory()
  const varsDirs: string[] = []
  for (const source of sources) {
    if (!source) continue
    const path = sourcePath(source, cwd)
    if (isHostList(source, cwd)) {
      parseHostList(source, inv)
      continue
    }
    const info = await stat(path).catch(() => undefined)
    if (!info) {
      throw new InputError(`inventory source "${source}" does not exist: expected a file, a folder, or a host list such as "h1,h2,"`)
    }
    if (info.isDirectory()) {
      await readFolder(path, inv, reader)
      varsDirs.push(path)
    } else {
      await readInventoryFile(path, inv, reader)
      varsDirs.push(dirname(path))
    }
  }
  reconcile(inv)
  for (const dir of varsDirs) inv.varsDirs.inventory.push(await loadVarsDir(dir, inv, reader))
  if (playbookDir) inv.varsDirs.playbook.push(await loadVarsDir(resolve(cwd, playbookDir), inv, reader))
  return inv
}

// Ansible's inventory_file: the first source that declared the host (hosts after `before` are new).
function claim(inv: Inventory, before: number, source: string): void {
  let i = 0
  for (const host of inv.hosts.values()) if (i++ >= before) host.source ??= source
}

function parseHostList(source: string, inv: Inventory): void {
  const before = inv.hosts.size
  for (const item of source.split(',')) {
    const text = item.trim()
    if (!text) continue
    const address = parseAddress(text, false)
    const name = address?.host ?? text
    if (!inv.hosts.has(name)) addHost(inv, name, 'ungrouped', address?.port)
  }
  claim(inv, before, source)
}

async function readFolder(dir: string, inv: Inventory, reader: VarsReader): Promise<void> {
  for (const entry of (await readdir(dir)).sort()) {
    if (IGNORED.test(entry)) continue
    const path = join(dir, entry)
    if ((await stat(path)).isDirectory()) await readFolder(path, inv, reader)
    else await readInventoryFile(path, inv, reader)
  }
}

async function readInventoryFile(path: string, inv: Inventory, reader: VarsReader): Promise<void> {
  const before = inv.hosts.size
  await parseInventoryFile(path, inv, reader)
  claim(inv, before, path)
}

async function parseInventoryFile(path: string, inv: Inventory, reader: VarsReader): Promise<void> {
  const file = reader.show(path)
  const bytes = await readFile(path)
  // An executable that starts as a script or a program is an inventory script, as Ansible's script plugin.
  if ((await stat(path)).mode & 0o111 && (bytes.subarray(0, 2).toString('latin1') === '#!' || bytes.subarray(0, 4).toString('latin1') === '\x7fELF')) {
    await readInventoryScript(path, file, inv, reader.cwd ?? process.cwd())
    return
  }
  const text = openVaultFile(decodeUtf8(bytes, file), reader.vault, { file }).text
  if (text.startsWith('#!')) {
    throw new InputError('this inventory script is not executable: chmod +x it to have it run with --list, as Ansible does', { file, line: 1 })
  }
  const ext = extname(path)
  if (ext !== '' && !YAML_EXTENSIONS.includes(ext)) {
    parseIni(text, file, inv)
    return
  }
  const yaml = await readYaml(text, file, reader.vault).catch((e: unknown) => (e instanceof InputError ? e : new InputError(String(e), { file })))
  if (!(yaml instanceof InputError) && yaml.kind === 'map' && yaml.entries.some((e) => e.key === 'plugin')) {
    runInventoryPlugin(yaml, file, path, inv)
  } else if (!(yaml instanceof InputError) && yaml.kind === 'map' && yaml.entries.length > 0) {
    parseYamlInventory(yaml, inv)
  } else if (yaml instanceof InputError || ext === '') {
    try {
      parseIni(text, file, inv)
    } catch (e) {
      throw ext !== '' && yaml instanceof InputError ? yaml : e
    }
  } else if (yaml.kind === 'value' && yaml.value !== null) {
    parseYamlInventory(yaml, inv)
  }
}
