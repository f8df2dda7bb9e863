import test from 'ava'
import { symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { InputError } from '../../src/errors.ts'
import { hostVars, loadInventory } from '../../src/inventory/index.ts'
import { inventoryFiles } from './inventory-files.ts'

test('a host list: comma-separated, ports split off, all ungrouped', async (t) => {
  const inv = await loadInventory(['h1, h2:2222,h1,'])
  t.deepEqual([...inv.hosts.keys()], ['h1', 'h2'])
  t.deepEqual(inv.hosts.get('h2')?.vars, { ansible_port: 2222 })
  t.deepEqual(inv.groups.get('ungrouped')?.hosts, ['h1', 'h2'])
})

test('a folder: files in sorted order, subfolders too; hidden, vars folders and ignored extensions skipped', async (t) => {
  const dir = inventoryFiles({
    'inv/20-web': '[web]\nw1\n',
    'inv/10-lab.yml': 'lab:\n  hosts:\n    l1:\n',
    'inv/more/extra': 'x1\n',
    'inv/hosts.ini': 'skipped-ini\n',
    'inv/notes.md': 'skipped-md\n',
    'inv/old.retry': 'skipped-retry\n',
    'inv/.hidden': 'skipped-hidden\n',
    'inv/group_vars/web.yml': 'port: 80\n',
    'inv/host_vars/w1': 'role: front\n',
  })
  const inv = await loadInventory(['inv'], { cwd: dir })
  t.deepEqual([...inv.hosts.keys()], ['l1', 'w1', 'x1'])
  t.like(hostVars(inv, 'w1'), { port: 80, role: 'front' })
  t.false('port' in hostVars(inv, 'l1'))
})

test('a file beside group_vars/: vars come from its folder; several sources add up', async (t) => {
  const dir = inventoryFiles({
    'a/hosts': '[web]\nw1\n',
    'a/group_vars/all.yml': 'from: a\n',
    'b/hosts.yml': 'web:\n  hosts:\n    w2:\n',
    'b/group_vars/all.yml': 'from: b\nonly_b: 1\n',
  })
  const inv = await loadInventory(['a/hosts', join(dir, 'b/hosts.yml')], { cwd: dir })
  t.deepEqual(inv.groups.get('web')?.hosts, ['w1', 'w2'])
  t.like(hostVars(inv, 'w1'), { from: 'b', only_b: 1 })
})

test('format detection: .yml with INI content falls back to INI; no extension with a YAML mapping is YAML', async (t) => {
  const dir = inventoryFiles({ 'ini.yml': '[web]\nw1 a=1\n', yaml: 'web:\n  hosts:\n    w2:\n' })
  const inv = await loadInventory(['ini.yml', 'yaml'], { cwd: dir })
  t.deepEqual(inv.groups.get('web')?.hosts, ['w1', 'w2'])
})

test('refuses a source that does not exist', async (t) => {
  const error = await t.throwsAsync(loadInventory(['nosuch'], { cwd: inventoryFiles({}) }), {
    instanceOf: InputError,
    message: 'inventory source "nosuch" does not exist: expected a file, a folder, or a host list such as "h1,h2,"',
  })
  t.is(error?.place, undefined)
})

test('refuses an inventory script that is not executable', async (t) => {
  const error = await t.throwsAsync(loadInventory(['inv.sh'], { cwd: inventoryFiles({ 'inv.sh': '#!/bin/sh\necho {}\n' }) }), {
    instanceOf: InputError,
    message: 'this inventory script is not executable: chmod +x it to have it run with --list, as Ansible does',
  })
  t.deepEqual(error?.place, { file: 'inv.sh', line: 1 })
})

test('a broken .yml that is not INI either reports the YAML error', async (t) => {
  const error = await t.throwsAsync(loadInventory(['hosts.yml'], { cwd: inventoryFiles({ 'hosts.yml': 'web:\n  hosts: {w1\n' }) }), {
    instanceOf: InputError,
  })
  t.regex(error?.message ?? '', /^bad YAML: /)
  t.is(error?.place?.file, 'hosts.yml')
})

test('an INI error in a folder names the file inside it', async (t) => {
  const error = await t.throwsAsync(loadInventory(['inv'], { cwd: inventoryFiles({ 'inv/m5': '[m5]\nm5-[01:]\n' }) }), {
    instanceOf: InputError,
    message: 'bad host range "m5-[01:]": expected [start:end] or [start:end:stride]',
  })
  t.deepEqual(error?.place, { file: join('inv', 'm5'), line: 2, col: 1 })
  t.is(error?.format(), `${join('inv', 'm5')}:2:1: bad host range "m5-[01:]": expected [start:end] or [start:end:stride]`)
})

test('an unreadable entry (here a dangling link) is named, without a stack', async (t) => {
  const dir = inventoryFiles({ 'inv/hosts': 'h1\n' })
  symlinkSync(join(dir, 'nowhere'), join(dir, 'inv', 'link'))
  const error = await t.throwsAsync(loadInventory(['inv'], { cwd: dir }), {
    instanceOf: InputError,
    message: 'cannot read the inventory: ENOENT',
  })
  t.deepEqual(error?.place, { file: join('inv', 'link') })
})
