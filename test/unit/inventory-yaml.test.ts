import test from 'ava'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { InputError } from '../../src/errors.ts'
import { loadInventory } from '../../src/inventory/index.ts'
import { refuses } from './inventory-refused.ts'

async function yaml(text: string, name = 'hosts.yml') {
  const dir = mkdtempSync(join(tmpdir(), 'inv-yaml-'))
  writeFileSync(join(dir, name), text)
  return loadInventory([name], { cwd: dir })
}

test('all: hosts, vars, children; hosts may be null; a string names one host', async (t) => {
  const inv = await yaml(`
all:
  vars: {ntp: ntp.lab}
  hosts:
    controller:
  children:
    rooms:
      children:
        b1:
          hosts:
            b1-[01:03]:
            b1-09:2201: {ansible_become: yes}
    dns:
      hosts: ns1
`)
  t.deepEqual([...inv.hosts.keys()], ['controller', 'b1-01', 'b1-02', 'b1-03', 'b1-09', 'ns1'])
  t.deepEqual(inv.groups.get('all')?.vars, { ntp: 'ntp.lab' })
  t.deepEqual(inv.groups.get('all')?.hosts, ['controller'])
  t.deepEqual(inv.groups.get('ungrouped')?.hosts, ['controller'])
  t.deepEqual(inv.groups.get('rooms')?.children, ['b1'])
  t.deepEqual(inv.hosts.get('b1-09')?.vars, { ansible_port: 2201, ansible_become: true })
  t.deepEqual(inv.groups.get('dns')?.hosts, ['ns1'])
})

test('top-level groups other than all hang under all; empty groups exist', async (t) => {
  const inv = await yaml('staff:\n  hosts: {laptop: {owner: me}}\nempty:\n')
  t.deepEqual(inv.groups.get('all')?.children, ['ungrouped', 'staff', 'empty'])
  t.deepEqual(inv.hosts.get('laptop')?.vars, { owner: 'me' })
})

test('YAML 1.1 scalars as PyYAML reads them; dates stay text; merge keys work', async (t) => {
  const inv = await yaml('all:\n  vars:\n    a: yes\n    b: off\n    n: n\n    o: 0777\n    c: 2024-01-02\n    base: &b {x: 1}\n    d:\n      <<: *b\n      y: 2\n')
  t.deepEqual(inv.groups.get('all')?.vars, { a: true, b: false, n: 'n', o: 511, c: '2024-01-02', base: { x: 1 }, d: { x: 1, y: 2 } })
})

test('a file without extension holding a YAML mapping is read as YAML', async (t) => {
  const inv = await yaml('web:\n  hosts:\n    w1:\n', 'hosts')
  t.deepEqual(inv.groups.get('web')?.hosts, ['w1'])
})

test('an empty or comment-only .yml is an empty inventory', async (t) => {
  const inv = await yaml('# nothing yet\n')
  t.deepEqual([...inv.hosts.keys()], [])
})

// Refused inventories (inventory-refused.ts): fixture, line, col, message; the place is the offending node.
test(refuses, 'broken-yaml.yml', 3, 8, 'bad YAML: Nested mappings are not allowed in compact mappings')
test(refuses, 'hosts-list.yml', 3, 5, '"hosts" of group "web" must be a mapping, found a list')
test(refuses, 'group-unknown-key.yml', 2, 3, 'unexpected key "host" in group "web": expected hosts, vars or children')
test(refuses, 'group-not-mapping.yml', 1, 6, 'group "web" must be a mapping with hosts, vars or children (or empty)')
test(refuses, 'host-name-number.yml', 3, 5, 'host name 10 in group "web" must be a non-empty string (quote numbers)')
test(refuses, 'host-vars-number.yml', 3, 9, 'vars of host "w1" must be a mapping of names to values, found a number')
test(refuses, 'list-document.yml', 1, 1, 'a YAML inventory must be a mapping of group names (e.g. all:) to {hosts, vars, children}')
test(refuses, 'plugin-configuration.yml', 1, 9, "inventory plugin 'aws_ec2' is not supported: labplay reads constructed and generator plugin files, inventory scripts, INI and YAML")
test(refuses, 'alias-bomb.yml', 4, 12, 'bad YAML: Excessive alias count indicates a resource exhaustion attack (at most 100 alias uses)')
test(refuses, 'children-loop.yml', 6, 5, 'group "a" cannot be a child of "b": that makes a loop of groups')
test(refuses, 'host-port-text.yml', 4, 7, "host h1: ansible_port 'text' is not a port number")
test(refuses, 'group-connection-list.yml', 3, 5, 'group all: ansible_connection must be a string, found a list')
test(refuses, 'host-user-mapping.yml', 3, 11, 'host h1: ansible_user must be a string, found object')

test('refuses children nested deeper than 100 levels', async (t) => {
  let text = 'g0:\n'
  for (let i = 1; i <= 102; i++) text += `${'  '.repeat(2 * i - 1)}children:\n${'  '.repeat(2 * i)}g${i}:\n`
  const error = await t.throwsAsync(yaml(text), { instanceOf: InputError, message: 'groups are nested more than 100 levels deep under children:' })
  t.deepEqual(error?.place, { file: 'hosts.yml', line: 204, col: 407 })
})

test('refuses bytes that are not UTF-8 at the first bad byte, in the inventory and in vars files', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'inv-yaml-'))
  writeFileSync(join(dir, 'hosts.yml'), Buffer.from('all:\n  hosts:\n    h\xff1:\n', 'latin1'))
  const error = await t.throwsAsync(loadInventory(['hosts.yml'], { cwd: dir }), { instanceOf: InputError, message: 'invalid text: not UTF-8 (save the file as UTF-8)' })
  t.deepEqual(error?.place, { file: 'hosts.yml', line: 3, col: 6 })
  writeFileSync(join(dir, 'hosts.yml'), 'all:\n  hosts:\n    h1:\n')
  mkdirSync(join(dir, 'group_vars'))
  writeFileSync(join(dir, 'group_vars', 'all.yml'), Buffer.from([0x61, 0x3a, 0x20, 0xc3, 0x28, 0x0a]))
  const bad = await t.throwsAsync(loadInventory(['hosts.yml'], { cwd: dir }), { instanceOf: InputError, message: /not UTF-8/ })
  t.deepEqual(bad?.place, { file: join('group_vars', 'all.yml'), line: 1, col: 4 })
})
