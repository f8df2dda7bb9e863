import test from 'ava'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { templatePlay } from '../../src/engine/play-fields.ts'
import { preparePlay } from '../../src/engine/prepare.ts'
import { RoleCatalog } from '../../src/engine/roles.ts'
import { InputError } from '../../src/errors.ts'
import { loadInventory } from '../../src/inventory/index.ts'
import { loadPlaybook } from '../../src/playbook/index.ts'

const dir = mkdtempSync(join(tmpdir(), 'labplay-play-fields-'))
writeFileSync(join(dir, 'hosts'), '[m5]\nm5-[01:04]\n[m6]\nm6-01 needs_root=yes\n[m6:vars]\nadmin=labadmin\n')
writeFileSync(join(dir, 'site.yml'), `- hosts: "{{ room }}"
  serial: "{{ batch }}"
  gather_facts: "{{ facts_on }}"
  become: "{{ needs_root | default(false) }}"
  become_user: "{{ admin | default('root') }}"
  vars:
    batch: ['1', '50%']
`)
const opts = async (extraVars: Record<string, unknown>) => {
  const [inventory, catalog] = await Promise.all([loadInventory([join(dir, 'hosts')]), RoleCatalog.load([])])
  return { inventory, catalog, extraVars, playbookDir: dir }
}
const connect = { become: false, knownHostsFile: '/dev/null', hostKeyChecking: 'strict' as const, connectTimeoutMs: 1000, tags: [], skipTags: [], cwd: dir }

test('hosts, name, serial and gather_facts are rendered once per play from extra and play vars', async (t) => {
  const inputs = await opts({ room: 'm5:m6', facts_on: 'no' })
  const [spec] = await loadPlaybook(join(dir, 'site.yml'), inputs.catalog)
  const play = templatePlay(spec!, inputs)
  t.like(play, { hosts: 'm5:m6', name: 'm5:m6', serial: [1, '50%'], gatherFacts: false })
  t.deepEqual(play.templates, { become: spec!.templates.become, become_user: spec!.templates.become_user })
})

test('become and become_user are rendered per host, with its inventory vars', async (t) => {
  const inputs = await opts({ room: 'all', facts_on: true })
  const [spec] = await loadPlaybook(join(dir, 'site.yml'), inputs.catalog)
  const prepared = preparePlay(templatePlay(spec!, inputs), { ...inputs, ...connect })
  const become = (host: string) => { const target = prepared.targets.get(host)!; return target.kind === 'ssh' ? target.ssh.become : target.kind === 'local' ? target.become : undefined }
  t.is(become('m5-01'), undefined)
  t.deepEqual(become('m6-01'), { user: 'labadmin', method: 'sudo', password: undefined })
})

test('a play field that cannot be rendered, or renders to the wrong type, is bad input at the field', async (t) => {
  const inputs = await opts({ room: 'm5', facts_on: 'maybe' })
  const [spec] = await loadPlaybook(join(dir, 'site.yml'), inputs.catalog)
  t.is(t.throws(() => templatePlay(spec!, inputs), { instanceOf: InputError })?.format(), `${join(dir, 'site.yml')}:3:17: gather_facts is "maybe" once rendered, expected true or false`)
  const noRoom = await opts({ facts_on: true })
  t.regex(t.throws(() => templatePlay(spec!, noRoom), { instanceOf: InputError })!.format(), /site\.yml:1:10: hosts: undefined variable 'room' in "\{\{ room \}\}"$/)
  const facts = await opts({ room: '{{ ansible_hostname }}', facts_on: true })
  t.regex(t.throws(() => templatePlay(spec!, facts), { instanceOf: InputError })!.format(), /^--extra-vars: variable 'room': undefined variable 'ansible_hostname'/)
})
