import { hostSelector } from '../inventory/recorded-hosts.ts'
import type { Inventory } from '../inventory/types.ts'
import type { LockedVars } from '../inventory/vars-dirs.ts'
import { flag, list, text } from '../option-table.ts'
import { terminalText } from '../output/terminal-text.ts'
import { openProject, VAULT_OPTIONS, type ProjectValues } from './project.ts'

// The options every reader of the run record takes (history, show, report), for their tables: -l, -i, the
// vault passwords, --records, -h. A command may word -l's help its own way.
export const READER_OPTIONS = {
  limit: text(['-l', '--limit'], 'PATTERN', 'only these hosts (Ansible pattern, resolved against the inventory)', { nonEmpty: true }),
  inventory: list(['-i', '--inventory'], 'SRC', "inventory for -l's groups (repeatable; default a run's: ansible.cfg's,\nelse ./inventory, else /etc/ansible/hosts, else none)"),
  ...VAULT_OPTIONS,
  records: text(['--records'], 'PATH', 'the run record (default $LABPLAY_RECORDS, else ~/.local/state/labplay/runs.db)', { nonEmpty: true }),
  help: flag(['-h', '--help'], ''),
}

// The inventory a run would read (-i, ansible.cfg's, ./inventory, /etc/ansible/hosts), with the run's vault
// passwords; undefined when there is none. A reader needs the groups (and the report seat_position): a vars
// file no password opens goes to `locked` and is left out, instead of stopping the command.
export async function readerInventory(o: ProjectValues, locked: LockedVars): Promise<Inventory | undefined> {
  const project = await openProject(o, 'optional')
  return project.sources.length ? project.load({ lockedVars: locked }) : undefined
}

// -l as a run means it (groups, globs, ~regex, !exclusions, @file), against the inventory; hosts the
// inventory no longer lists still match by name or glob. Without -l: undefined (every host). Only the groups
// count here, so a vars file that cannot be decrypted is passed over in silence.
export async function selectedHosts(o: ProjectValues & { limit: string | undefined }, recorded: string[]): Promise<Set<string> | undefined> {
  if (!o.limit) return undefined
  return new Set(hostSelector(await readerInventory(o, () => undefined), o.limit, process.cwd())(recorded))
}

// Local time, to the second, as people read it in a terminal: 2025-05-01 14:03:22.
export function localTime(iso: string): string {
  const d = new Date(iso)
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
}

// What an exit code meant, as the README lists them.
export function exitMeaning(code: number | null): string {
  if (code === null) return 'not finished (killed, or the controller went down)'
  return ({ 0: 'every host ok', 2: 'a host failed', 4: 'a host unreachable', 5: 'bad input', 99: 'interrupted' } as Record<number, string>)[code] ?? 'error'
}

// A command's output, then exit code 0. The readers' one boundary to the terminal: runs, hosts, paths and messages
// came from seats, input files and the record (jsonText's output has nothing left to escape, so --json stays exact).
export function print(text: string): number {
  process.stdout.write(terminalText(text))
  return 0
}
