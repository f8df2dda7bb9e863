import test from 'ava'
import { InputError } from '../../src/errors.ts'
import { targetFor } from '../../src/engine/targets.ts'
import { compileWhen } from '../../src/playbook/index.ts'
import { bool, booleanOf, list, VarError } from '../../src/sdk/coerce.ts'
import udpcast from '../../roles/udpcast/index.ts'
import { readSettings } from '../../roles/udpcast/settings.ts'

// One truth table, Ansible's, for every reader of a boolean variable: the SDK's bool(), a role's switch, the
// engine's ansible_become and the `| bool` of a condition.

const SHA = 'a'.repeat(64)
const IMAGE = { name: 'w', version: '1', size: 1, sha256: SHA, source: '/srv/w.qcow2' }
const CONNECT = { become: false, knownHostsFile: '/dev/null', hostKeyChecking: 'strict', connectTimeoutMs: 1000 } as const

// Every reader agrees: true, false, or (undefined) an error that names the variable; `| bool` reads that as false.
const reads = test.macro({
  exec(t, value: unknown, want: boolean | undefined) {
    t.is(booleanOf(value), want)
    const when = compileWhen('flag | bool', { file: 'site.yml', line: 1 })
    t.is(when.test({ flag: value }), want === true, '| bool')
    if (want === undefined) {
      t.throws(() => bool(value, 'flag'), { instanceOf: VarError, message: /^flag: expected true or false \(yes\/no, on\/off, y\/n, t\/f, 1\/0\), got / })
      t.throws(() => readSettings({ ...udpcast.defaults, image: IMAGE, udpcast_unicast_single: value }), { message: /^udpcast_unicast_single: expected true or false/ })
      t.throws(() => targetFor('m5-01', { ansible_become: value }, CONNECT), { instanceOf: InputError, message: /^host m5-01: ansible_become: expected true or false/ })
      return
    }
    t.is(bool(value, 'flag'), want)
    t.is(readSettings({ ...udpcast.defaults, image: IMAGE, udpcast_unicast_single: value }).unicastSingle, want, 'udpcast')
    const target = targetFor('m5-01', { ansible_become: value }, CONNECT)
    t.is(target.kind === 'ssh' && target.ssh.become !== undefined, want, 'ansible_become')
  },
  title: (_ = '', value: unknown, want: boolean | undefined) => `${JSON.stringify(value)} reads as ${want ?? 'an error'}`,
})

for (const value of [true, 'y', 'Y', 'yes', 'YES', 'on', 'On', '1', 'true', 'True', 't', 'T', 1]) test(reads, value, true)
for (const value of [false, 'n', 'no', 'No', 'off', 'OFF', '0', 'false', 'FALSE', 'f', 0]) test(reads, value, false)
for (const value of ['', ' yes', 'yes ', 'maybe', 'enabled', '1.0', '00', 2, -1, 0.5, [], ['yes'], {}]) test(reads, value, undefined)

test('ansible_become unset (or YAML null) leaves the play or command line to decide', (t) => {
  for (const value of [undefined, null]) {
    const target = targetFor('m5-01', { ansible_become: value }, { ...CONNECT, become: true })
    t.true(target.kind === 'ssh' && target.ssh.become !== undefined)
  }
})

const lists = test.macro({
  exec(t, value: unknown, want: string[] | RegExp) {
    if (want instanceof RegExp) t.throws(() => list(value, 'names'), { instanceOf: VarError, message: want })
    else t.deepEqual(list(value, 'names'), want)
  },
  title: (_ = '', value: unknown, want: string[] | RegExp) => `list(${JSON.stringify(value)}) is ${want instanceof RegExp ? 'an error' : JSON.stringify(want)}`,
})

test(lists, ['a', 'b'], ['a', 'b'])
test(lists, [' a ', 'b,c'], [' a ', 'b,c'])
test(lists, [7, true], ['7', 'true'])
test(lists, [], [])
test(lists, 'a,b', ['a', 'b'])
test(lists, ' a , b ,, ', ['a', 'b'])
test(lists, 'one', ['one'])
test(lists, '', [])
test(lists, null, [])
test(lists, 42, ['42'])
test(lists, undefined, /^names: expected a list \(or a comma-separated string\), got nothing$/)
test(lists, { a: 1 }, /^names: expected a list \(or a comma-separated string\), got a mapping$/)
test(lists, true, /^names: expected a list \(or a comma-separated string\), got true$/)
test(lists, ['a', null], /^names\[1\]: expected a string, got null$/)
test(lists, ['a', ['b']], /^names\[1\]: expected a string, got a list$/)
