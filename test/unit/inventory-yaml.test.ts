import test from 'ava'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { InputError } from '../../src/errors.ts'
import { loadInventory } from '../../src/inventory/index.ts'

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

async function refuses(t: import('ava').ExecutionContext, text: string, message: string, line?: number, col?: number): Promise<void> {
  const error = await t.throwsAsync(yaml(text), { instanceOf: InputError, message })
  const where = line === undefined ? { file: 'hosts.yml' } : { file: 'hosts.yml', line, col }
  t.deepEqual(error?.place, where)
}

test('refuses broken YAML with its place', async (t) => {
  await refuses(t, 'all:\n  hosts:\n    a: b: c\n', 'bad YAML: Nested mappings are not allowed in compact mappings', 3, 8)
})

test('refuses a hosts list (Ansible wants a mapping)', async (t) => {
  await refuses(t, 'web:\n  hosts:\n    - w1\n    - w2\n', '"hosts" of group "web" must be a mapping, found a list', 3, 5)
})

test('refuses unknown keys in a group', async (t) => {
  await refuses(t, 'web:\n  host:\n    w1:\n', 'unexpected key "host" in group "web": expected hosts, vars or children', 2, 3)
})

test('refuses a group that is not a mapping', async (t) => {
  await refuses(t, 'web: [w1]\n', 'group "web" must be a mapping with hosts, vars or children (or empty)', 1, 6)
})

test('refuses a host name that is a number', async (t) => {
  await refuses(t, 'web:\n  hosts:\n    10:\n', 'host name 10 in group "web" must be a non-empty string (quote numbers)', 3, 5)
})

test('refuses host vars that are not a mapping', async (t) => {
  await refuses(t, 'web:\n  hosts:\n    w1: 5\n', 'vars of host "w1" must be a mapping of names to values, found a number', 3, 9)
})

test('refuses a scalar or list document, and plugins labplay does not run', async (t) => {
  await refuses(t, '- a\n- b\n', 'a YAML inventory must be a mapping of group names (e.g. all:) to {hosts, vars, children}', 1, 1)
  await refuses(t, 'plugin: aws_ec2\n', "inventory plugin 'aws_ec2' is not supported: labplay reads constructed and generator plugin files, inventory scripts, INI and YAML", 1, 9)
})

test('refuses an alias bomb at its first alias', async (t) => {
  const levels = ['a: &a [x, x, x, x, x, x, x, x, x]']
  for (const [i, name] of ['b', 'c', 'd', 'e', 'f'].entries()) {
    const prev = String.fromCharCode(97 + i)
    levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(', ')}]`)
  }
  await refuses(t, `all:\n  vars:\n${levels.map((l) => `    ${l}`).join('\n')}\n`,
    'bad YAML: Excessive alias count indicates a resource exhaustion attack (at most 100 alias uses)', 4, 12)
})

test('refuses children nested deeper than 100 levels', async (t) => {
  let text = 'g0:\n'
  for (let i = 1; i <= 102; i++) text += `${'  '.repeat(2 * i - 1)}children:\n${'  '.repeat(2 * i)}g${i}:\n`
  await refuses(t, text, 'groups are nested more than 100 levels deep under children:', 204, 407)
})

test('refuses a loop of children across the file', async (t) => {
  await refuses(t, 'a:\n  children:\n    b:\nb:\n  children:\n    a:\n', 'group "a" cannot be a child of "b": that makes a loop of groups', 6, 5)
})

test('refuses bad connection vars at the key that sets them', async (t) => {
  await refuses(t, 'all:\n  hosts:\n    h1:\n      ansible_port: text\n', "host h1: ansible_port 'text' is not a port number", 4, 7)
  await refuses(t, 'all:\n  vars:\n    ansible_connection: [winrm]\n  hosts:\n    h1:\n', 'group all: ansible_connection must be a string, found a list', 3, 5)
  await refuses(t, 'all:\n  hosts:\n    h1: { ansible_user: { a: 1 } }\n', 'host h1: ansible_user must be a string, found object', 3, 11)
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
