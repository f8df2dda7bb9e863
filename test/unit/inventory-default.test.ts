// Which inventory a command reads when -i names none: the one rule of src/inventory/default.ts, for every need.
import test, { type ExecutionContext } from 'ava'
import { join } from 'node:path'
import { InputError } from '../../src/errors.ts'
import { inventorySources, type InventoryNeed, type NamedInventory } from '../../src/inventory/default.ts'
import { inventoryFiles } from './inventory-files.ts'

// A project folder with these files, and a stand-in for /etc/ansible/hosts (present or not): the sources chosen.
function chosen(files: string[], named: NamedInventory, need: InventoryNeed, etcHosts: boolean): { dir: string; sources: string[] } {
  const dir = inventoryFiles(Object.fromEntries([...files, ...(etcHosts ? ['etc/hosts'] : [])].map((f) => [f, '[room]\nr-01\n'])))
  return { dir, sources: inventorySources(named, dir, need, join(dir, 'etc/hosts')) }
}

// chosen(files, named, need, etc/hosts present) gives these sources (names relative to the project folder).
const picks = test.macro((t: ExecutionContext, files: string[], named: NamedInventory, etcHosts: boolean, expected: string[]) => {
  for (const need of ['required', 'optional'] as const) {
    const { dir, sources } = chosen(files, named, need, etcHosts)
    t.deepEqual(sources, expected.map((s) => (s === 'inventory' || s === 'etc/hosts' ? join(dir, s) : s)), need)
  }
})

test('-i wins over ansible.cfg and ./inventory', picks, ['inventory'], { given: ['a.ini', 'h1,h2,'], configured: ['/srv/lab/hosts'] }, true, ['a.ini', 'h1,h2,'])
test("ansible.cfg's (or $ANSIBLE_INVENTORY's) when no -i, even beside ./inventory", picks, ['inventory'], { given: [], configured: ['/srv/lab/hosts', '/srv/lab/more'] }, true, ['/srv/lab/hosts', '/srv/lab/more'])
test('./inventory when neither names one, before /etc/ansible/hosts', picks, ['inventory'], { given: [], configured: [] }, true, ['inventory'])
test('./inventory may be a folder', picks, ['inventory/hosts'], { given: [] }, false, ['inventory'])
test("Ansible's /etc/ansible/hosts last", picks, [], { given: [] }, true, ['etc/hosts'])

test('with none of them, a command that needs one refuses and a reader of the record goes on without', (t) => {
  t.deepEqual(chosen([], { given: [] }, 'optional', false).sources, [])
  const error = t.throws(() => chosen(['hosts.ini'], { given: [], configured: [] }, 'required', false), { instanceOf: InputError })
  t.regex(error!.message, /^no inventory: neither \/\S+\/inventory nor \/\S+\/etc\/hosts exists; name one with -i or ansible\.cfg's \[defaults\] inventory$/)
})
