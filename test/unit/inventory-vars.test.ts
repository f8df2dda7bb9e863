import test from 'ava'
import { join } from 'node:path'
import { InputError } from '../../src/errors.ts'
import { hostVars, loadInventory } from '../../src/inventory/index.ts'
import { inventoryFiles } from './inventory-files.ts'

const INI = `
[lab:children]
m5
[m5]
m5-01 v=host-inline
m5-02
[alpha]
m5-02
[beta]
m5-02
[all:vars]
v=all-inline
w=all-inline
[lab:vars]
v=lab-inline
[m5:vars]
v=m5-inline
[alpha:vars]
side=alpha
[beta:vars]
side=beta
`

test('inline vars: all, then groups parents before children, then the host', async (t) => {
  const dir = inventoryFiles({ hosts: INI })
  const inv = await loadInventory(['hosts'], { cwd: dir })
  t.like(hostVars(inv, 'm5-01'), { v: 'host-inline', w: 'all-inline' })
  t.like(hostVars(inv, 'm5-02'), { v: 'm5-inline', side: 'beta' })
})

test('equal depth: ansible_group_priority, then name, decides', async (t) => {
  const plain = await loadInventory(['hosts'], { cwd: inventoryFiles({ hosts: INI }) })
  t.is(hostVars(plain, 'm5-02').side, 'beta')
  const ranked = await loadInventory(['hosts'], { cwd: inventoryFiles({ hosts: `${INI}\n[alpha:vars]\nansible_group_priority=2\n` }) })
  t.is(hostVars(ranked, 'm5-02').side, 'alpha')
  t.false('ansible_group_priority' in hostVars(ranked, 'm5-02'))
})

test('group_vars/all outranks every inline group var; host_vars outrank inline host vars', async (t) => {
  const dir = inventoryFiles({
    hosts: INI,
    'group_vars/all.yml': 'v: all-file\nw: all-file\n',
    'host_vars/m5-01.yml': 'v: host-file\n',
  })
  const inv = await loadInventory(['hosts'], { cwd: dir })
  t.like(hostVars(inv, 'm5-02'), { v: 'all-file', w: 'all-file' })
  t.like(hostVars(inv, 'm5-01'), { v: 'host-file' })
})

test('group_vars: bare name, .yml, .yaml, .json; a folder of files in sorted order; first match wins', async (t) => {
  const dir = inventoryFiles({
    hosts: INI,
    'group_vars/lab/b.yml': 'v: lab-b\nlist: [1]\n',
    'group_vars/lab/a.yaml': 'v: lab-a\nonly_a: 1\n',
    'group_vars/lab/nested/c.json': '{"c": true}',
    'group_vars/lab/notes.txt': 'ignored: true\n',
    'group_vars/lab/.hidden.yml': 'hidden: true\n',
    'group_vars/m5.yml': 'room: M5\n',
    'group_vars/m5.yaml': 'room: never\n',
    'group_vars/alpha': 'side: alpha-file\n',
    'group_vars/beta.json': '{"beta": 1}',
  })
  const inv = await loadInventory(['hosts'], { cwd: dir })
  const vars = hostVars(inv, 'm5-02')
  t.like(vars, { v: 'lab-b', list: [1], only_a: 1, c: true, room: 'M5', side: 'alpha-file', beta: 1 })
  t.false('ignored' in vars)
  t.false('hidden' in vars)
})

// In `all`, alpha's own host comes before the hosts of lab's child m5: Ansible walks level by level.
test('magic vars: inventory_hostname, group_names (sorted, with ungrouped), groups in Ansible order', async (t) => {
  const inv = await loadInventory(['hosts'], { cwd: inventoryFiles({ hosts: `lonely.example.org\n${INI}` }) })
  const vars = hostVars(inv, 'm5-02')
  t.is(vars.inventory_hostname, 'm5-02')
  t.deepEqual(vars.group_names, ['alpha', 'beta', 'lab', 'm5'])
  t.deepEqual(vars.groups, {
    all: ['lonely.example.org', 'm5-02', 'm5-01'],
    ungrouped: ['lonely.example.org'],
    lab: ['m5-01', 'm5-02'],
    m5: ['m5-01', 'm5-02'],
    alpha: ['m5-02'],
    beta: ['m5-02'],
  })
  t.like(hostVars(inv, 'lonely.example.org'), { group_names: ['ungrouped'], inventory_hostname_short: 'lonely' })
})

test('localhost is implicit, with the vars of all and a local connection', async (t) => {
  const inv = await loadInventory(['hosts'], { cwd: inventoryFiles({ hosts: INI }) })
  t.like(hostVars(inv, 'localhost'), { ansible_connection: 'local', w: 'all-inline', group_names: [] })
  t.throws(() => hostVars(inv, 'nosuch'), { instanceOf: InputError, message: 'host "nosuch" is not in the inventory' })
})

test('refuses a vars file that is not a mapping, naming it', async (t) => {
  const dir = inventoryFiles({ hosts: INI, 'group_vars/m5.yml': '- a\n- b\n' })
  const error = await t.throwsAsync(loadInventory(['hosts'], { cwd: dir }), {
    instanceOf: InputError,
    message: 'a vars file must be a mapping of variable names to values',
  })
  t.deepEqual(error?.place, { file: join('group_vars', 'm5.yml'), line: 1, col: 1 })
})

test('refuses broken YAML in host_vars with its line', async (t) => {
  const dir = inventoryFiles({ hosts: INI, 'host_vars/m5-01.yml': 'a: 1\nb: [\n' })
  const error = await t.throwsAsync(loadInventory(['hosts'], { cwd: dir }), { instanceOf: InputError })
  t.is(error?.place?.file, join('host_vars', 'm5-01.yml'))
  t.regex(error?.message ?? '', /^bad YAML: /)
})

test('every host shares one frozen groups map instead of a copy each', async (t) => {
  const dir = inventoryFiles({ 'hosts.ini': '[g]\nh[1:3]\n' })
  const inv = await loadInventory(['hosts.ini'], { cwd: dir })
  const one = hostVars(inv, 'h1').groups
  t.is(hostVars(inv, 'h2').groups, one)
  t.true(Object.isFrozen(one))
  t.deepEqual((one as Record<string, string[]>).g, ['h1', 'h2', 'h3'])
  t.true(Object.isFrozen((one as Record<string, string[]>).g))
})
