import { existsSync } from 'node:fs'
import { join } from 'node:path'
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
// reader goes on without one ([]: the recorded host names alone). `ansibleHosts` is for tests.
export function inventorySources(named: NamedInventory, cwd: string, need: InventoryNeed, ansibleHosts = ANSIBLE_HOSTS): string[] {
  if (named.given.length) return named.given
  if (named.configured?.length) return named.configured
  const candidates = [join(cwd, 'inventory'), ansibleHosts]
  const found = candidates.find((path) => existsSync(path))
  if (found) return [found]
  if (need === 'required') throw new InputError(`no inventory: neither ${candidates.join(' nor ')} exists; name one with -i or ansible.cfg's [defaults] inventory`)
  return []
}

const ANSIBLE_HOSTS = '/etc/ansible/hosts'
