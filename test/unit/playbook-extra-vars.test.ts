import test from 'ava'
import { resolve } from 'node:path'
import { InputError } from '../../src/errors.ts'
import { parseExtraVars } from '../../src/playbook/index.ts'
import type { Vars } from '../../src/vars.ts'

const fixtures = 'test/fixtures/playbooks'

// [-e value, variables], as ansible-playbook reads them.
const cases: Array<[string, Vars]> = [
  ['room=m5', { room: 'm5' }],
  // key=value values stay strings, like Ansible's.
  ['forks=50 check=true', { forks: '50', check: 'true' }],
  ['  a=1   b=2  ', { a: '1', b: '2' }],
  ['msg="hello world" who=\'the lab\'', { msg: 'hello world', who: 'the lab' }],
  ['path=/srv/"my images"/x', { path: '/srv/my images/x' }],
  ['q="say \\"hi\\""', { q: 'say "hi"' }],
  ['empty=', { empty: '' }],
  ['eq=a=b', { eq: 'a=b' }],
  ['cmd="\'; touch /tmp/pwned #"', { cmd: "'; touch /tmp/pwned #" }],
  ['', {}],
  // JSON or YAML mappings keep their types.
  ['{"forks": 50, "check": true, "list": [1, 2]}', { forks: 50, check: true, list: [1, 2] }],
  ['{room: m5, nested: {a: null}}', { room: 'm5', nested: { a: null } }],
  [`@${fixtures}/extra-vars/room.yml`, { room: 'm5', bitrate: 600, hosts_list: ['m5-01', 'm5-02'] }],
  [`@${fixtures}/extra-vars/room.json`, { room: 'm6', check: true }],
]
for (const [arg, expected] of cases) {
  test(`-e ${JSON.stringify(arg)}`, (t) => {
    t.deepEqual(parseExtraVars(arg, process.cwd()), expected)
  })
}

test('@file is relative to cwd', (t) => {
  t.deepEqual(parseExtraVars('@extra-vars/room.json', resolve(fixtures)), { room: 'm6', check: true })
})

test('__proto__ in JSON extra vars is a plain variable', (t) => {
  const vars = parseExtraVars('{"__proto__": {"polluted": 1}}', '/')
  t.true(Object.hasOwn(vars, '__proto__'))
  t.is(Object.getPrototypeOf(vars), Object.prototype)
  t.is(({} as Vars).polluted, undefined)
})

test('__proto__=x stays a plain variable', (t) => {
  const vars = parseExtraVars('__proto__=x', '/')
  t.is(vars['__proto__'], 'x')
  t.is(Object.getPrototypeOf(vars), Object.prototype)
})

// [-e value, formatted error].
const errors: Array<[string, string]> = [
  ['room', '--extra-vars:1:1: expected key=value with a variable name as key, got "room"'],
  ['a=1 oops', '--extra-vars:1:5: expected key=value with a variable name as key, got "oops"'],
  ['=x', '--extra-vars:1:1: expected key=value with a variable name as key, got "=x"'],
  ['my-var=1', '--extra-vars:1:1: expected key=value with a variable name as key, got "my-var=1"'],
  ['a="open', '--extra-vars:1:3: unterminated quote in "\\"open"'],
  ['{"a": 1', '--extra-vars:1:8: invalid YAML: Flow map must end with a }'],
  ['{"my-var": 1}', "--extra-vars:1:2: invalid variable name 'my-var', expected letters, digits and _ (not starting with a digit)"],
  ['@', "--extra-vars:1:2: expected a file name after '@'"],
  [`@${fixtures}/extra-vars/nope.yml`, `${resolve(fixtures)}/extra-vars/nope.yml: extra vars file does not exist`],
  [`@${fixtures}/extra-vars/list.yml`, `${resolve(fixtures)}/extra-vars/list.yml:1:1: expected extra variables (a mapping), got a list`],
]
for (const [arg, message] of errors) {
  test(`-e ${JSON.stringify(arg)} is rejected`, (t) => {
    const error = t.throws(() => parseExtraVars(arg, process.cwd()), { instanceOf: InputError })
    t.is(error?.format(), message)
  })
}
