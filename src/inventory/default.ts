import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { InputError } from '../errors.ts'

// The inventory sources when -i (or ansible.cfg's inventory) names none: ./inventory, labplay's habit. A run then
// tries Ansible's /etc/ansible/hosts and else refuses (never labplay's own example inventory: a run elsewhere
// would do nothing and exit 0); a reader of the run record (history, show, report) goes on with the recorded
// host names alone.
export function inventorySources(given: string[], cwd: string, use: 'run' | 'read'): string[] {
  if (given.length) return given
  const candidates = use === 'run' ? [join(cwd, 'inventory'), ANSIBLE_HOSTS] : [join(cwd, 'inventory')]
  const found = candidates.find((path) => existsSync(path))
  if (found) return [found]
  if (use === 'run') throw new InputError(`no inventory: neither ${candidates.join(' nor ')} exists; name one with -i or ansible.cfg's [defaults] inventory`)
  return []
}

const ANSIBLE_HOSTS = '/etc/ansible/hosts'
