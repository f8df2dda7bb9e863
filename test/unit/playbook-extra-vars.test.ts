import test from 'ava'
import { resolve } from 'node:path'
import { InputError } from '../../src/errors.ts'
import { parseExtraVars } from '../../src/playbook/index.ts'
import { maskedExtraVars } from '../../src/playbook/extra-vars.ts'
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

// [-e value, formatted error]: -e is where secrets are typed, so no error quotes a value.
const errors: Array<[string, string]> = [
  ['room', '--extra-vars:1:1: expected key=value with a variable name as key (the word is not shown)'],
  ['a=1 oops', '--extra-vars:1:5: expected key=value with a variable name as key (the word is not shown)'],
  ['=x', '--extra-vars:1:1: expected key=value with a variable name as key (the word is not shown)'],
  ['my-var=1', '--extra-vars:1:1: expected key=value with a variable name as key (the word is not shown)'],
  ['db_password=S3cret-1 -S3cret-2', '--extra-vars:1:22: expected key=value with a variable name as key (the word is not shown)'],
  ['a="open', '--extra-vars:1:3: unterminated quote (the value is not shown)'],
  ['{"a": 1', '--extra-vars:1:8: invalid YAML: a closing quote or bracket is missing'],
  ['{"db_password": "S3cret', '--extra-vars:1:24: invalid YAML: a closing quote or bracket is missing'],
  ['{"db_password": S3cret}}', '--extra-vars:1:24: invalid YAML: unexpected text'],
  ['{"db_password": "S3\\qcret"}', '--extra-vars:1:20: invalid YAML: an invalid escape in a double-quoted string'],
  ['{"db_password": "S3cret", "db_password": "S3cret"}', '--extra-vars:1:27: invalid YAML: a key is given twice'],
  ['{"db_password": "{{ S3cret"}', "--extra-vars:1:2: variable 'db_password' holds an invalid template (its value is not shown)"],
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

// [-e value, as the run record keeps it]: secret-named values masked whatever their length, the rest as typed.
const masked: Array<[string, string]> = [
  ['room=m5 db_password=ab', 'room=m5 db_password=****'],
  ['db_password="a b c" api_token=\'x y\' room=m5', 'db_password=**** api_token=**** room=m5'],
  ['{"db_password": "a\\"b", "room": "m5"}', '{"db_password":"****","room":"m5"}'],
  ['{db: {admin_pass: [1, 2]}, users: [{token: x}], room: m5}', '{"db":{"admin_pass":"****"},"users":[{"token":"****"}],"room":"m5"}'],
  ['@secrets.yml', '@secrets.yml'],
  ['  room=m5  ', '  room=m5  '],
]
for (const [arg, recorded] of masked) {
  test(`-e ${JSON.stringify(arg)} is recorded as ${JSON.stringify(recorded)}`, (t) => {
    t.is(maskedExtraVars(arg, '****'), recorded)
  })
}
