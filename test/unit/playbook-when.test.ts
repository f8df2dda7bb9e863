import test from 'ava'
import { InputError } from '../../src/errors.ts'
import { compileWhen, WhenError } from '../../src/playbook/index.ts'
import type { Vars } from '../../src/vars.ts'

const place = { file: 'site.yml', line: 7, col: 13 }
const vars: Vars = {
  vendor: 'intel',
  version: '12',
  cores: 8,
  zero: 0,
  empty_string: '',
  empty_list: [],
  empty_map: {},
  nothing: null,
  yes_string: 'yes',
  no_string: 'no',
  false_string: 'false',
  flags: ['vmx', 'ept'],
  facts: { cpu: { flags: ['vmx'], count: 4 }, 'odd-key': 1, os: { id: 'debian' } },
}
// An own `__proto__` key, written the way YAML and JSON deliver it.
Object.defineProperty(vars, '__proto__', { value: 'a plain value', enumerable: true })

// [condition, expected] over `vars`.
const cases: Array<[string, boolean]> = [
  ['true', true],
  ['False', false],
  ['none', false],
  ['null == None', true],
  ['1 == 1.0', true],
  ['true == 1', true],
  ["'12' == 12", false],
  ["vendor == 'intel'", true],
  ['vendor == "intel"', true],
  ["vendor != 'amd'", true],
  ['cores > 4', true],
  ['cores >= 8 and cores <= 8', true],
  ['cores < -1', false],
  ['1 < cores < 10', true],
  ['version | int >= 12', true],
  ["version | int == 12 and vendor in ['intel', 'amd']", true],
  ["'amd' not in ['intel', 'amd']", false],
  ["'vmx' in flags", true],
  ["'svm' in flags", false],
  ["'nt' in vendor", true],
  ["'cpu' in facts", true],
  ["'constructor' in facts", false],
  ["facts.cpu.flags[0] == 'vmx'", true],
  ["facts['cpu']['count'] == 4", true],
  ["facts['odd-key'] == 1", true],
  ['flags[-1] == "ept"', true],
  ['facts.os.id == "debian" or nope', true],
  ['not (cores > 4)', false],
  ['not cores > 4 or vendor', true],
  ['not not vendor', true],
  ['(cores > 4 or zero) and flags', true],
  // Python truthiness.
  ['vendor', true],
  ['zero', false],
  ['empty_string', false],
  ['empty_list', false],
  ['empty_map', false],
  ['nothing', false],
  ['flags', true],
  ['no_string', true],
  ['false_string', true],
  ['no_string | bool', false],
  ['yes_string | bool', true],
  ["'On' | bool", true],
  ['1 | bool', true],
  ['2 | bool', false],
  ['flags | length == 2', true],
  ['facts | length == 3', true],
  ['vendor | length > 3', true],
  ["'3.9' | int == 3", true],
  ["'abc' | int == 0", true],
  ["vendor | upper == 'INTEL'", true],
  // Tests.
  ['vendor is defined', true],
  ['missing is defined', false],
  ['missing is undefined', true],
  ['missing is not defined', true],
  ['facts.cpu.nope is defined', false],
  ['missing.deep.path is defined', false],
  ['nothing is none', true],
  ['vendor is not none', true],
  ['missing | default(3) == 3', true],
  ["empty_string | default('x', true) == 'x'", true],
  ['(missing | default([])) | length == 0', true],
  // Hostile names are data lookups that find nothing, never code.
  ['constructor is defined', false],
  ['facts.constructor is defined', false],
  ['facts.__proto__ is defined', false],
  ['flags.length is defined', false],
  ['vendor.length is defined', false],
  ["facts['constructor'] is defined", false],
  ["__proto__ == 'a plain value'", true],
  ['toString is defined', false],
  ['process is defined', false],
]
for (const [source, expected] of cases) {
  test(`when ${source} → ${expected}`, (t) => {
    t.is(compileWhen(source, place).test(vars), expected)
  })
}

// Parses, but cannot be decided for this host: [condition, message, column offset from the start].
const runtime: Array<[string, string, number]> = [
  ['missing', "undefined variable 'missing'", 0],
  ['missing == 1', "undefined variable 'missing'", 0],
  ["vendor == 'intel' and missing.x", "undefined variable 'missing.x'", 22],
  ['facts.cpu.nope > 1', "undefined variable 'facts.cpu.nope'", 9],
  ['missing | int', "undefined variable 'missing'", 0],
  ['version >= 12', "cannot compare string \"12\" with number 12 using '>=' (convert with '| int')", 8],
  ['flags < 1', "cannot compare a list with number 1 using '<' (convert with '| int')", 6],
  ["1 in 'abc'", "'in <string>' needs a string on the left, got number 1", 2],
  ['1 in cores', "'in' needs a list, string or mapping on the right, got number 8", 2],
  ['cores | length', "'length' needs a string, list or mapping, got number 8", 6],
  ['-vendor', 'cannot negate string "intel"', 0],
]
for (const [source, message, offset] of runtime) {
  test(`when ${source} → WhenError`, (t) => {
    const when = compileWhen(source, place)
    const error = t.throws(() => when.test(vars), { instanceOf: WhenError })
    t.is(error?.message, `when ${JSON.stringify(source)}: ${message}`)
    t.deepEqual(error?.place, { ...place, col: place.col + offset })
  })
}

// Rejected at load time with the column of the offending character: [condition, message, column offset].
const invalid: Array<[string, string, number]> = [
  ['', 'empty expression', 0],
  ['x = 1', "unexpected '=', use '==' to compare", 2],
  ['a && b', "unexpected '&&', use 'and'", 2],
  ['a || b', "unexpected '||', use 'or'", 2],
  ['!a', "unexpected '!', use 'not'", 0],
  ['a === b', "unexpected '=', use '==' to compare", 4],
  ['process.exit()', 'calling functions or methods is not supported', 12],
  ['constructor.constructor("return process")()', 'calling functions or methods is not supported', 23],
  ["__import__('os').system('reboot')", 'calling functions or methods is not supported', 10],
  ['a.b(1)', 'calling functions or methods is not supported', 3],
  ['`id`', "unexpected character '`'", 0],
  ['$(reboot)', "unexpected character '$'", 0],
  ['a; b', "unexpected character ';'", 1],
  ['a + b', "unexpected character '+'", 2],
  ['(a', "expected ')', got the end of the expression", 2],
  ['a b', "unexpected 'b', expected an operator or the end", 2],
  ['a ==', 'expected a value, got the end of the expression', 4],
  ['a == )', "expected a value, got ')'", 5],
  ["'open", 'unterminated string, expected a closing \'', 0],
  ['a | eval', "unknown filter 'eval', expected one of: default, d, bool, int, float, string, lower, upper, trim, length, count", 4],
  ['a | int(1)', "filter 'int' takes 0 argument(s), got 1", 4],
  ['a is odd', "unknown test 'odd', expected one of: defined, undefined, none", 5],
  ['a is', 'expected a test, got the end of the expression', 4],
  ['a.', "expected a name after '.', got the end of the expression", 2],
  ['and', "expected a value, got 'and'", 0],
  ['not in x', "expected a value, got 'not'", 0],
  ['{1: 2}', "expected a quoted key, got '1'", 1],
]
for (const [source, message, offset] of invalid) {
  test(`when ${JSON.stringify(source)} is rejected at column ${place.col + offset}`, (t) => {
    const error = t.throws(() => compileWhen(source, place), { instanceOf: InputError })
    t.is(error?.message, `invalid when ${JSON.stringify(source)}: ${message}`)
    t.deepEqual(error?.place, { ...place, col: place.col + offset })
  })
}

test('a condition spanning lines keeps the place of its start', (t) => {
  const error = t.throws(() => compileWhen('a and\n b ==', place), { instanceOf: InputError })
  t.deepEqual(error?.place, place)
})

test('evaluating a hostile condition touches nothing global', (t) => {
  const before = Object.getOwnPropertyNames(Object.prototype).length
  const when = compileWhen("__proto__.polluted is defined or constructor.prototype is defined or x['__proto__'] is defined", place)
  t.false(when.test({ x: {} }))
  t.is(Object.getOwnPropertyNames(Object.prototype).length, before)
  t.is(({} as Record<string, unknown>).polluted, undefined)
})

test('a compiled condition is reusable across hosts', (t) => {
  const when = compileWhen("ansible_facts.init == 'systemd'", place)
  t.true(when.test({ ansible_facts: { init: 'systemd' } }))
  t.false(when.test({ ansible_facts: { init: 'sysv' } }))
  t.is(when.source, "ansible_facts.init == 'systemd'")
  t.deepEqual(when.place, place)
})
