import test from 'ava'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RoleCatalog, roleDirs } from '../../src/engine/roles.ts'
import { InputError } from '../../src/errors.ts'
import { loadPlaybook } from '../../src/playbook/index.ts'

const dir = mkdtempSync(join(tmpdir(), 'labplay-ansible-role-'))
test.after.always(() => rmSync(dir, { recursive: true, force: true }))

test('an Ansible role where labplay looks for roles is refused at its line, saying what it is', async (t) => {
  mkdirSync(join(dir, 'roles', 'notice', 'tasks'), { recursive: true })
  writeFileSync(join(dir, 'roles', 'notice', 'tasks', 'main.yml'), '- name: notice folder exists\n  file: { path: /etc/labplay, state: directory }\n')
  writeFileSync(join(dir, 'site.yml'), '- hosts: all\n  roles:\n    - notice\n')
  const catalog = await RoleCatalog.load(roleDirs(join(dir, 'site.yml')))
  const err = await t.throwsAsync(loadPlaybook(join(dir, 'site.yml'), catalog), { instanceOf: InputError })
  t.regex(err!.format(), /site\.yml:3:7: role 'notice' \(.*roles\/notice\) is an Ansible role: labplay runs TypeScript roles \(notice\/index\.ts\), not Ansible tasks/)
})

test('roles_path folders are searched after roles/ beside the playbook, before labplay\'s own', (t) => {
  const dirs = roleDirs(join(dir, 'site.yml'), ['/srv/ansible/roles'])
  t.deepEqual(dirs.slice(0, 2), [join(dir, 'roles'), '/srv/ansible/roles'])
})
