import test from 'ava'
import { InputError } from '../../src/errors.ts'
import { parseIni } from '../../src/inventory/ini.ts'
import { parseIniValue } from '../../src/inventory/literal.ts'
import { emptyInventory, reconcile } from '../../src/inventory/model.ts'
import type { Inventory } from '../../src/inventory/types.ts'
import { refuses } from './inventory-refused.ts'

function ini(text: string): Inventory {
  const inv = emptyInventory()
  parseIni(text, 'hosts', inv)
  reconcile(inv)
  return inv
}

test('hosts before any section are ungrouped; sections make groups', (t) => {
  const inv = ini('gw\n\n[m5]\nm5-[01:02]\n[web]\nwww\nm5-01\n')
  t.deepEqual([...inv.hosts.keys()], ['gw', 'm5-01', 'm5-02', 'www'])
  t.deepEqual(inv.groups.get('ungrouped')?.hosts, ['gw'])
  t.deepEqual(inv.groups.get('m5')?.hosts, ['m5-01', 'm5-02'])
  t.deepEqual(inv.hosts.get('m5-01')?.groups, ['m5', 'web'])
  t.deepEqual(inv.groups.get('all')?.children, ['ungrouped', 'm5', 'web'])
})

test('a host first listed ungrouped leaves ungrouped once a group lists it', (t) => {
  const inv = ini('gw\n[servers]\ngw\n')
  t.deepEqual(inv.groups.get('ungrouped')?.hosts, [])
  t.deepEqual(inv.hosts.get('gw')?.groups, ['servers'])
})

test('children may name groups declared further down; only top groups hang under all', (t) => {
  const inv = ini('[lab:children]\nm5\nm6\n[m5]\na\n[m6:children]\n[lab:vars]\nx=1\n')
  t.deepEqual(inv.groups.get('lab')?.children, ['m5', 'm6'])
  t.deepEqual(inv.groups.get('m5')?.parents, ['lab'])
  t.deepEqual(inv.groups.get('all')?.children, ['ungrouped', 'lab'])
  t.deepEqual(inv.groups.get('lab')?.vars, { x: 1 })
})

test('inline host vars: shell-like words, Python literals, a port', (t) => {
  const inv = ini(`[s]\nnfs:2222 a=1 b=True c='two words' d="[1, 'x']" e=yes f=0.5 g="'7'" h=1_000 # comment\n`)
  t.deepEqual(inv.hosts.get('nfs')?.vars, { ansible_port: 2222, a: 1, b: true, c: 'two words', d: [1, 'x'], e: 'yes', f: 0.5, g: '7', h: 1000 })
})

test(':vars lines take the rest of the line as the value; ; and # start comment lines only', (t) => {
  const inv = ini('[g]\nh\n; comment\n# comment\n[g:vars]\nnote = room lab ; not a comment\nq="quoted" # python comment\nn=\nansible_group_priority=7\n')
  t.deepEqual(inv.groups.get('g')?.vars, { note: 'room lab ; not a comment', q: 'quoted', n: '' })
  t.is(inv.groups.get('g')?.priority, 7)
})

test('Python literal values as Ansible reads them', (t) => {
  const cases: [string, unknown][] = [
    ['10', 10], ['-3', -3], ['0x1F', 31], ['0o17', 15], ['1e3', 1000], ['.5', 0.5], ['True', true], ['False', false],
    ['None', null], ['true', 'true'], ['yes', 'yes'], ['07', '07'], ['"a" "b"', 'ab'], ["'\\x41\\n'", 'A\n'],
    ['(1,)', [1]], ['(1)', 1], ['{"k": [1, None]}', { k: [1, null] }], ['{1, 2}', [1, 2]], ['[1 2]', '[1 2]'],
    ['1.2.3.4', '1.2.3.4'], ['12345678901234567890', '12345678901234567890'], ['--1', '--1'], ['1j', '1j'],
  ]
  for (const [text, value] of cases) t.deepEqual(parseIniValue(text), value, text)
})

// Refused inventories (inventory-refused.ts): fixture, line, col, message; the place is the offending line.
test(refuses, 'section-unknown-type.ini', 3, 1, 'section [g:host] has an unknown type "host": expected [g], [g:vars] or [g:children]')
test(refuses, 'section-header-spaces.ini', 2, 3, 'bad section header [my group]: expected [group], [group:vars] or [group:children] with no spaces')
test(refuses, 'children-never-declared.ini', 2, 1, '[lab:children] names group "m5", which is never declared: expected a [m5] or [m5:children] section')
test(refuses, 'vars-group-never-declared.ini', 1, 1, 'section [m5:vars] is for a group that is never declared: expected a [m5] or [m5:children] section too')
test(refuses, 'vars-line-without-equals.ini', 4, 1, 'expected key=value in [g:vars], got "just words"')
test(refuses, 'host-var-without-equals.ini', 2, 7, 'expected key=value host variable after "h", got "oops"')
test(refuses, 'unclosed-quote.ini', 2, 1, 'cannot read host line "h a="x": no closing quotation (")')
test(refuses, 'host-ending-in-colon.ini', 1, 1, 'bad host "h1:": expected a port number after ":"')
test(refuses, 'yaml-document.ini', 1, 1, 'bad host "---": "---" starts a YAML document; give YAML inventories a .yml name')
test(refuses, 'bad-range.ini', 3, 3, 'bad host range "m5-[01:]": expected [start:end] or [start:end:stride]')
test(refuses, 'children-loop.ini', 4, 1, 'group "a" cannot be a child of "b": that makes a loop of groups')
test(refuses, 'child-of-itself.ini', 2, 1, 'group "a" cannot be a child of "a": that makes a loop of groups')
test(refuses, 'group-priority-text.ini', 4, 1, 'ansible_group_priority of group "g" must be a whole number')
test(refuses, 'host-port-text.ini', 2, 26, "host h: ansible_port 'eighty' is not a port number")
test(refuses, 'host-port-too-big.ini', 2, 3, "host h: ansible_port '99999' is not a port number")
test(refuses, 'group-port-zero.ini', 4, 1, "group g: ansible_port '0' is not a port number")

test('ansible_port and ansible_connection that are right, or templates, are kept', (t) => {
  const inv = ini('[g]\nh ansible_port=2222 ansible_connection=local\nk ansible_port="{{ p }}" ansible_connection=smart\n')
  t.is(inv.hosts.get('h')?.vars.ansible_port, 2222)
  t.is(inv.hosts.get('k')?.vars.ansible_port, '{{ p }}')
})

test('refuses more hosts than an inventory may hold, at the line that passes the limit', (t) => {
  const lines = Array.from({ length: 100_001 }, (_, i) => `h${i}`).join('\n')
  const error = t.throws(() => ini(`[g]\n${lines}\n`), { instanceOf: InputError, message: 'the inventory has more than 100000 hosts' })
  t.deepEqual(error?.place, { file: 'hosts', line: 100_002, col: 1 })
})

test('a large range loads in linear time', (t) => {
  const started = performance.now()
  const inv = ini('[g]\nh[1:100000]\n')
  t.is(inv.groups.get('g')?.hosts.length, 100_000)
  t.true(performance.now() - started < 5000)
})
