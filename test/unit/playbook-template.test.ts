import test from 'ava'
import { InputError } from '../../src/errors.ts'
import { mergeVars, render } from '../../src/playbook/index.ts'
import type { Vars } from '../../src/vars.ts'

const place = { file: 'site.yml', line: 12, col: 9 }
const vars: Vars = {
  name: 'win11',
  Room: 'M5',
  port: 445,
  enabled: true,
  list: ['a', 'b'],
  image: { path: '/srv/images', 'sha-256': 'abc', formats: ['qcow2'] },
  nothing: null,
  shell: "'; touch /tmp/pwned #",
}

// [template, expected] over `vars`.
const cases: Array<[unknown, unknown]> = [
  ['plain text', 'plain text'],
  ['{ not a template }', '{ not a template }'],
  ['{{ name }}', 'win11'],
  ['{{name}}', 'win11'],
  // A string that is exactly one expression keeps the value's type.
  ['{{ port }}', 445],
  ['{{ enabled }}', true],
  ['{{ list }}', ['a', 'b']],
  ['{{ image }}', vars.image],
  ['{{ nothing }}', null],
  // Inside a longer string, non-strings read as JSON.
  ['port={{ port }} on={{ enabled }} l={{ list }} n={{ nothing }}', 'port=445 on=true l=["a","b"] n=null'],
  [' {{ port }}', ' 445'],
  ['/srv/{{ name }}.qcow2', '/srv/win11.qcow2'],
  ['{{ name }}-{{ Room }}', 'win11-M5'],
  ['{{ image.path }}/{{ name }}', '/srv/images/win11'],
  ["{{ image['sha-256'] }}", 'abc'],
  ['{{ image.formats[0] }}', 'qcow2'],
  ['{{ list[-1] }}', 'b'],
  ["{{ missing | default('lp') }}", 'lp'],
  ['{{ missing | d(0) }}', 0],
  ['{{ image.missing | default(image.path) }}', '/srv/images'],
  ["{{ nothing | default('x') }}", null],
  ["{{ '' | default('x', true) }}", 'x'],
  ['{{ Room | lower }}', 'm5'],
  ['{{ name | upper }}', 'WIN11'],
  ["{{ '  pad ' | trim }}", 'pad'],
  ["{{ '42' | int }}", 42],
  ['{{ port | string }}', '445'],
  ["{{ 'yes' | bool }}", true],
  ['{{ list | length }}', 2],
  ["{{ nothing or 'fallback' }}", 'fallback'],
  ["{{ [name, Room] }}", ['win11', 'M5']],
  ["{{ {'k': port} }}", { k: 445 }],
  // Values are data: their content is never evaluated again, whatever it looks like.
  ['{{ shell }}', "'; touch /tmp/pwned #"],
  ['echo {{ shell }}', "echo '; touch /tmp/pwned #"],
  // Recursion through lists and mappings; keys are kept as written.
  [['{{ name }}', { '{{ key }}': '{{ port }}', n: 1 }], ['win11', { '{{ key }}': 445, n: 1 }]],
  [42, 42],
  [null, null],
]
for (const [template, expected] of cases) {
  test(`render ${JSON.stringify(template)}`, (t) => {
    t.deepEqual(render(template, vars, place), expected)
  })
}

// [template, message]: every failure is an InputError at the given place.
const errors: Array<[string, string]> = [
  ['{{ missing }}', `undefined variable 'missing' in "{{ missing }}"`],
  ['/srv/{{ image.nope }}.qcow2', `undefined variable 'image.nope' in "/srv/{{ image.nope }}.qcow2"`],
  ['{{ missing.deep }}', `undefined variable 'missing.deep' in "{{ missing.deep }}"`],
  ['{{ missing | upper }}', `undefined variable 'missing' in "{{ missing | upper }}"`],
  ['{{ name', `unclosed '{{' in "{{ name", expected '}}'`],
  ['{{ }}', `invalid template "{{ }}": empty expression`],
  ['{{ name() }}', `invalid template "{{ name() }}": calling functions or methods is not supported`],
  ['{{ constructor.constructor("return 1")() }}', `invalid template "{{ constructor.constructor(\\"return 1\\")() }}": calling functions or methods is not supported`],
  ['{{ name | shell }}', `invalid template "{{ name | shell }}": unknown filter 'shell', expected one of: default, d, bool, int, float, string, lower, upper, trim, length, count`],
  ['{% if x %}y{% endif %}', `only '{{ expression }}' templates are supported, found '{%' in "{% if x %}y{% endif %}"`],
  ['{# comment #}', `only '{{ expression }}' templates are supported, found '{#' in "{# comment #}"`],
  ['{{ constructor }}', `undefined variable 'constructor' in "{{ constructor }}"`],
  ['{{ __proto__ }}', `undefined variable '__proto__' in "{{ __proto__ }}"`],
  ['{{ list.length }}', `undefined variable 'list.length' in "{{ list.length }}"`],
  ['{{ port | length }}', `'length' needs a string, list or mapping, got number 445 in "{{ port | length }}"`],
]
for (const [template, message] of errors) {
  test(`render ${JSON.stringify(template)} fails`, (t) => {
    const error = t.throws(() => render({ deep: [template] }, vars, place), { instanceOf: InputError })
    t.is(error?.message, message)
    t.deepEqual(error?.place, place)
  })
}

test('render without a place still names the variable', (t) => {
  const error = t.throws(() => render('{{ x }}', {}), { instanceOf: InputError })
  t.is(error?.format(), `undefined variable 'x' in "{{ x }}"`)
})

test('a variable named __proto__ is rendered as data', (t) => {
  const own: Vars = {}
  Object.defineProperty(own, '__proto__', { value: 'p', enumerable: true })
  t.is(render('{{ __proto__ }}', own), 'p')
  const out = render({ ...own }, own) as Vars
  t.is(Object.getPrototypeOf(out), Object.prototype)
  t.true(Object.hasOwn(out, '__proto__'))
})

test('mergeVars: later layers replace whole top-level variables', (t) => {
  const merged = mergeVars({ a: 1, b: { x: 1, y: 2 }, c: 3 }, { b: { x: 9 } }, { c: 4 })
  t.deepEqual(merged, { a: 1, b: { x: 9 }, c: 4 })
})

test('mergeVars keeps __proto__ as a key and pollutes nothing', (t) => {
  const hostile = JSON.parse('{"__proto__": {"polluted": true}, "constructor": 1}') as Vars
  const merged = mergeVars({ a: 1 }, hostile)
  t.true(Object.hasOwn(merged, '__proto__'))
  t.is(Object.getPrototypeOf(merged), Object.prototype)
  t.is(({} as Vars).polluted, undefined)
  t.is(Object.getOwnPropertyDescriptor(merged, 'constructor')?.value, 1)
})
