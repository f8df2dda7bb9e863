// Which inventory a command reads when -i names none: the one rule of src/inventory/default.ts, for every need.
import test, { type ExecutionContext } from 'ava'
import { join } from 'node:path'
import { InputError } from '../../src/errors.ts'
import { inventorySources, type InventoryNeed, type NamedInventory } from '../../src/inventory/default.ts'
import { inventoryFiles } from './inventory-files.ts'

// A project folder with these files, and a stand-in for /etc/ansible/hosts (present or not): the sources chosen.
function chosen(files: string[], named: NamedInventory, need: InventoryNeed, etcHosts: boolean): { dir: string; sources: string[] } {
  const dir = inventoryFiles(Object.fromEntries([...files, ...(etcHosts ? ['etc/hosts'] : [])].map((f) => [f, '[room]\nr-01\n'])))
  return { dir, sources: inventorySources(named, dir, need, undefined, join(dir, 'etc/hosts')) }
}

// chosen(files, named, need, etc/hosts present) gives these sources (names relative to the project folder).
const picks = test.macro((t: ExecutionContext, files: string[], named: NamedInventory, etcHosts: boolean, expected: string[]) => {
  for (const need of ['required', 'optional'] as const) {
    const { dir, sources } = chosen(files, named, need, etcHosts)
    t.deepEqual(sources, expected.map((s) => (s === 'inventory' || s === 'etc/hosts' ? join(dir, s) : s)), need)
  }
})

test('-i wins over ansible.cfg and ./inventory', picks, ['inventory'], { given: ['a.ini', 'h1,h2,'], configured: ['/srv/lab/hosts'] }, true, ['a.ini', 'h1,h2,'])
test("ansible.cfg's (or $ANSIBLE_INVENTORY's) when no -i, even beside ./inventory", picks, ['inventory', 'lab/hosts', 'lab/more'], { given: [], configured: ['lab/hosts', 'lab/more', 'h1,h2,'] }, true, ['lab/hosts', 'lab/more', 'h1,h2,'])
test('./inventory when neither names one, before /etc/ansible/hosts', picks, ['inventory'], { given: [], configured: [] }, true, ['inventory'])
test('./inventory may be a folder', picks, ['inventory/hosts'], { given: [] }, false, ['inventory'])
test("Ansible's /etc/ansible/hosts last", picks, [], { given: [] }, true, ['etc/hosts'])

test('with none of them, a command that needs one refuses and a reader of the record goes on without', (t) => {
  t.deepEqual(chosen([], { given: [] }, 'optional', false).sources, [])
  const error = t.throws(() => chosen(['hosts.ini'], { given: [], configured: [] }, 'required', false), { instanceOf: InputError })
  t.regex(error!.message, /^no inventory: neither \/\S+\/inventory nor \/\S+\/etc\/hosts exists; name one with -i or ansible\.cfg's \[defaults\] inventory$/)
})

test('a configured inventory that is not there: a command that needs it gets it (and refuses it on load); a reader warns and goes on without it', (t) => {
  const dir = inventoryFiles({ 'lab/hosts': '[room]\nr-01\n', inventory: '[room]\nr-02\n' })
  const named = { given: [], configured: ['lab/hosts', 'lab/gone'] }
  t.deepEqual(inventorySources(named, dir, 'required'), ['lab/hosts', 'lab/gone'])
  const warnings: string[] = []
  t.deepEqual(inventorySources(named, dir, 'optional', (w) => warnings.push(w)), ['lab/hosts'], 'not ./inventory: the configured one is what Ansible reads')
  t.deepEqual(warnings, ['the configured inventory lab/gone does not exist: going on without it'])
})
