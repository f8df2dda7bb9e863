import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { InputError } from '../errors.ts'

// What names an inventory: -i's sources, and ansible.cfg's [defaults] inventory (or $ANSIBLE_INVENTORY).
export interface NamedInventory {
  given: string[]
  configured?: string[]
}

// required: a run, `labplay inventory`, `image publish|list|rollback` (they act on the hosts or write group_vars/);
// optional: a reader of the run record (history, show, report) and `image edit`'s check of published versions.
export type InventoryNeed = 'required' | 'optional'

// Which inventory every command reads, one rule: -i's sources; else ansible.cfg's (or $ANSIBLE_INVENTORY's);
// else ./inventory, labplay's habit; else Ansible's /etc/ansible/hosts. With none of them a command that needs
// one refuses (never labplay's own example inventory: a run elsewhere would do nothing and exit 0), and a
// reader goes on without one ([]: the recorded host names alone). A configured source that is not there stops a
// command that needs the inventory (exit 5, naming it); a reader warns and goes on without it, as Ansible does.
// `ansibleHosts` is for tests.
export function inventorySources(named: NamedInventory, cwd: string, need: InventoryNeed, warn: (text: string) => void = () => {}, ansibleHosts = ANSIBLE_HOSTS): string[] {
  if (named.given.length) return named.given
  if (named.configured?.length) {
    if (need === 'required') return named.configured
    const present = named.configured.filter((source) => isHostList(source, cwd) || existsSync(sourcePath(source, cwd)))
    for (const source of named.configured) if (!present.includes(source)) warn(`the configured inventory ${source} does not exist: going on without it`)
    return present
  }
  const candidates = [join(cwd, 'inventory'), ansibleHosts]
  const found = candidates.find((path) => existsSync(path))
  if (found) return [found]
  if (need === 'required') throw new InputError(`no inventory: neither ${candidates.join(' nor ')} exists; name one with -i or ansible.cfg's [defaults] inventory`)
  return []
}

const ANSIBLE_HOSTS = '/etc/ansible/hosts'

// Where an inventory source lives: relative to the command's folder, ~ for the home.
export function sourcePath(source: string, cwd: string): string {
  return resolve(cwd, source.replace(/^~(?=\/|$)/, homedir()))
}

// Ansible's host_list: "h1,h2," — a source with a comma that is not an existing path.
export function isHostList(source: string, cwd: string): boolean {
  return source.includes(',') && !existsSync(sourcePath(source, cwd))
}
