import { statSync } from 'node:fs'
import { userInfo } from 'node:os'
import { basename } from 'node:path'
import { InputError } from '../../errors.ts'
import type { Inventory } from '../../inventory/index.ts'
import { text } from '../../option-table.ts'
import { terminalText } from '../../output/terminal-text.ts'
import { hashFile, type HashedFile } from '../../image/hash.ts'
import { imageHome, type ImageHome } from '../../image/home.ts'
import { Progress } from '../../image/progress.ts'
import { recordsPath } from '../../records/path.ts'
import type { ImageHolding } from '../../records/rows.ts'
import { NoRecordsError, openRecords } from '../../records/store.ts'
import { describeWriters, openWriters } from '../../image/writers.ts'
import { openProject, VAULT_OPTIONS } from '../project.ts'

// What the CLI hands a subcommand (src/cli.ts): the interrupt signal, and the call that makes the first Ctrl-C
// abort it instead of leaving.
export interface Interrupts {
  signal: AbortSignal
  takeInterrupts: () => void
}

// What every `labplay image` command that reads the inventory takes: which inventory and group, and the vault
// passwords its group_vars may need (a run's own rows).
export const HOME_OPTIONS = {
  inventory: text(['-i', '--inventory'], 'SRC', "the inventory file or folder whose group_vars/ hold the manifest (default a\nrun's: ansible.cfg's, else ./inventory, else /etc/ansible/hosts)", { nonEmpty: true }),
  group: text(['--group'], 'GROUP', 'the group whose image it is (default all)', { nonEmpty: true }),
  ...VAULT_OPTIONS,
}

type HomeValues = { inventory: string | undefined; group: string | undefined; vaultIds: string[]; vaultPasswordFiles: string[]; askVaultPass: boolean }

// The inventory a run would read (-i, ansible.cfg's, ./inventory, /etc/ansible/hosts) loaded with the run's vault
// passwords, where the group's manifest lives, and how to read the inventory again after a write (with the same
// passwords: no second prompt).
export async function loadHome(o: HomeValues, cwd = process.cwd()): Promise<{ inventory: Inventory; home: ImageHome; reload: () => Promise<Inventory> }> {
  const project = await openProject({ ...o, inventory: o.inventory ? [o.inventory] : [] }, 'required', cwd)
  const reload = () => project.load()
  const inventory = await reload()
  return { inventory, home: await imageHome(inventory, o.group ?? 'all', cwd), reload }
}

// Who published: the admin behind sudo, else the login name (as the run record names a run's user).
export function publisher(): string {
  return process.env.SUDO_USER || userInfo().username
}

// Text for the admin's terminal: paths and names came from input files and the run record, so they cross
// the same boundary as every other view's text.
export function say(text: string, stream: NodeJS.WriteStream = process.stdout): void {
  stream.write(terminalText(text))
}

export function warn(text: string): void {
  say(`[WARNING]: ${text}\n`, process.stderr)
}

// The command's text, then exit code 0.
export function done(text: string): number {
  say(text)
  return 0
}

// The sha256 of an image, its progress on stderr: a bar on a terminal, plain lines otherwise.
export async function hashShown(file: string): Promise<HashedFile> {
  const name = terminalText(basename(file))
  const progress = new Progress(process.stderr, `hashing ${name}`, statSync(file).size)
  try {
    const hashed = await hashFile(file, (n) => progress.update(n))
    progress.finish(`hashed ${name}`)
    return hashed
  } catch (err) {
    progress.abandon()
    throw err
  }
}

// A file some process is writing is refused: `advice` says what to do about it.
export function refuseWriters(file: string, advice: string): void {
  const writers = openWriters(file)
  if (writers.length) throw new InputError(`${file} is open for writing by ${describeWriters(writers)}: ${advice}`)
}

// What the run record says each host holds of the image; nothing (and no path) before any run was recorded.
export function recordedHoldings(given: string | undefined): { holdings: ImageHolding[]; path: string | null } {
  const path = recordsPath({ records: given })!
  try {
    const records = openRecords(path, { readonly: true })
    try {
      return { holdings: records.imageHoldings(), path: records.path }
    } finally {
      records.close()
    }
  } catch (err) {
    if (err instanceof NoRecordsError) return { holdings: [], path: null }
    throw err
  }
}
