import test from 'ava'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { InputError } from '../../src/errors.ts'
import { parseIni } from '../../src/inventory/ini.ts'
import { applyLimit, selectHosts } from '../../src/inventory/index.ts'
import { emptyInventory, reconcile } from '../../src/inventory/model.ts'
import { splitPattern } from '../../src/inventory/patterns.ts'

const inv = emptyInventory()
parseIni(`gw
[m5]
m5-[01:06]
[m6]
m6-[a:c]
[lab:children]
m5
m6
[web]
www1.example.org
m5-02
`, 'hosts', inv)
reconcile(inv)

const select = (pattern: string, cwd?: string): string => selectHosts(inv, pattern, { cwd }).join(' ')

// test(title, selects, [[pattern, hosts], …]): each pattern selects exactly those hosts, in that order.
const selects = test.macro((t, cases: Array<[pattern: string, hosts: string]>) => {
  for (const [pattern, hosts] of cases) t.is(select(pattern), hosts, pattern)
})

test('splitting: commas, else colons, except where the whole reads as one address', (t) => {
  t.deepEqual(splitPattern('a:b,c'), ['a:b', 'c'])
  t.deepEqual(splitPattern(' a , b ,, '), ['a', 'b'])
  t.deepEqual(splitPattern('m5:&lab:!m5-03'), ['m5', '&lab', '!m5-03'])
  t.deepEqual(splitPattern('m5[0:2]:web'), ['m5[0:2]', 'web'])
  t.deepEqual(splitPattern('m5[0:2]'), ['m5[0:2]'])
  t.deepEqual(splitPattern('host:22'), ['host:22'])
  t.deepEqual(splitPattern('fe80::1'), ['fe80::1'])
  t.deepEqual(splitPattern(''), [])
})

test('plain terms in written order, duplicates dropped', selects, [
  ['m6:m5', 'm6-a m6-b m6-c m5-01 m5-02 m5-03 m5-04 m5-05 m5-06'],
  ['web,m5', 'www1.example.org m5-02 m5-01 m5-03 m5-04 m5-05 m5-06'],
  ['gw', 'gw'],
  ['all', 'gw www1.example.org m5-02 m5-01 m5-03 m5-04 m5-05 m5-06 m6-a m6-b m6-c'],
  ['*', select('all')],
])

test('& terms intersect and ! terms exclude after all plain terms, wherever they are written', selects, [
  ['!m5-03:m5:&web', 'm5-02'],
  ['m5:&lab:!m5-03', 'm5-01 m5-02 m5-04 m5-05 m5-06'],
  ['!lab', 'gw www1.example.org'],
  ['&web', 'www1.example.org m5-02'],
  ['!lab:!gw', 'www1.example.org'],
])

test('subscripts: index, negative index, end-inclusive slices, open end', selects, [
  ['m5[0]', 'm5-01'],
  ['m5[-1]', 'm5-06'],
  ['m5[0:2]', 'm5-01 m5-02 m5-03'],
  ['m5[4:]', 'm5-05 m5-06'],
  ['m5[0:2]:web', 'm5-01 m5-02 m5-03 www1.example.org'],
  ['m5[3:1]', ''],
  ['m5[2:0]', 'm5-03'],
])

test('globs and regexes match groups and hosts', selects, [
  ['m?', 'm5-01 m5-02 m5-03 m5-04 m5-05 m5-06 m6-a m6-b m6-c'],
  ['*-0?', 'm5-01 m5-02 m5-03 m5-04 m5-05 m5-06'],
  ['m6-[!a]', 'm6-b m6-c'],
  ['~m5-0[1-3]', 'm5-01 m5-02 m5-03'],
  ['~(?P<room>m6)-(?P=room)?[ab]$', 'm6-a m6-b'],
  ['~WEB', ''],
  ['~(?i)WEB', 'www1.example.org m5-02'],
])

test('unknown names select nothing; localhost is implicit', selects, [
  ['nosuch', ''],
  ['nosuch:gw', 'gw'],
  ['localhost', 'localhost'],
])

test('@file: one pattern a line; an empty file selects nobody', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'inv-pat-'))
  writeFileSync(join(dir, 'site.retry'), 'm5-03\nm6-b\n\nnosuch\n')
  writeFileSync(join(dir, 'empty.retry'), '')
  t.is(select('@site.retry', dir), 'm5-03 m6-b')
  t.is(select('@empty.retry', dir), '')
  t.deepEqual(applyLimit(inv, ['m6-b', 'gw', 'm5-03'], '@site.retry', { cwd: dir }), ['m6-b', 'm5-03'])
  t.deepEqual(applyLimit(inv, ['gw'], '@empty.retry', { cwd: dir }), [])
  t.throws(() => select('@missing.retry', dir), {
    instanceOf: InputError,
    message: 'host file "missing.retry" does not exist: expected @FILE with one host or pattern a line',
  })
  t.throws(() => select('@.', dir), { instanceOf: InputError, message: '"@." must name a file (one host a line), not a folder' })
})

test('--limit keeps the given hosts in their order; an empty limit keeps all', (t) => {
  const hosts = ['m6-c', 'gw', 'm5-02', 'm5-01']
  t.deepEqual(applyLimit(inv, hosts, 'm5:gw'), ['gw', 'm5-02', 'm5-01'])
  t.deepEqual(applyLimit(inv, hosts, '!m5-02'), ['m6-c', 'gw', 'm5-01'])
  t.deepEqual(applyLimit(inv, hosts, ''), hosts)
})

test('refuses an invalid regex, naming the pattern', (t) => {
  const error = t.throws(() => select('m5,~('), { instanceOf: InputError })
  t.regex(error?.message ?? '', /^invalid host pattern "m5,~\(": /)
  t.is(error?.place, undefined)
})

test('refuses a subscript past the end of the group', (t) => {
  t.throws(() => select('m5[6]'), {
    instanceOf: InputError,
    message: 'no host matches "m5[6]" in pattern "m5[6]": m5 has 6 hosts, numbered from 0',
  })
  t.throws(() => select('web:m6[-4]'), {
    instanceOf: InputError,
    message: 'no host matches "m6[-4]" in pattern "web:m6[-4]": m6 has 3 hosts, numbered from 0',
  })
})

test('refuses & or ! with nothing after it', (t) => {
  t.throws(() => select('m5,!'), { instanceOf: InputError, message: 'invalid host pattern "m5,!": "&" or "!" must be followed by a name' })
})

// Ansible walks a level as a Python set, so with two branching groups its order varies from
// run to run; labplay walks each level in declaration order.
test('all lists hosts level by level below it: own hosts of top groups before their children', (t) => {
  const two = emptyInventory()
  parseIni('[a:children]\na1\n[a1]\nx1\n[b:children]\nb1\n[b1]\ny1\n[b]\ny0\n[a]\nx0\n', 'hosts', two)
  reconcile(two)
  t.deepEqual(selectHosts(two, 'all'), ['x0', 'y0', 'x1', 'y1'])
})

test('@file: a line that is exactly a host name is that host, spaces and all', (t) => {
  const spaced = emptyInventory()
  parseIni('"seat one"\nseat-two\n"seat three"\n', 'hosts', spaced)
  reconcile(spaced)
  const dir = mkdtempSync(join(tmpdir(), 'inv-pat-'))
  writeFileSync(join(dir, 'site.retry'), 'seat one\n')
  t.deepEqual(applyLimit(spaced, ['seat one', 'seat-two', 'seat three'], '@site.retry', { cwd: dir }), ['seat one'])
  t.deepEqual(selectHosts(spaced, '@site.retry', { cwd: dir }), ['seat one'])
})

test('@file: refuses devices, folders and huge files instead of reading forever', (t) => {
  t.throws(() => select('@/dev/zero'), { instanceOf: InputError, message: 'host file "/dev/zero" is not a regular file: expected @FILE with one host or pattern a line' })
  t.throws(() => select('@/etc'), { instanceOf: InputError, message: '"@/etc" must name a file (one host a line), not a folder' })
  const dir = mkdtempSync(join(tmpdir(), 'inv-pat-'))
  writeFileSync(join(dir, 'big.retry'), Buffer.alloc(16 * 1024 * 1024 + 1, 0x61))
  t.throws(() => select('@big.retry', dir), { instanceOf: InputError, message: /^host file "big.retry" is 16777217 bytes, more than/ })
  writeFileSync(join(dir, 'latin1.retry'), Buffer.from('m5-01\ncaf\xe9\n', 'latin1'))
  const error = t.throws(() => select('@latin1.retry', dir), { instanceOf: InputError, message: /not UTF-8/ })
  t.deepEqual(error?.place, { file: 'latin1.retry', line: 2, col: 4 })
})

test('--limit that matches no host of the inventory is refused, as Ansible does', (t) => {
  t.throws(() => applyLimit(inv, ['gw'], 'nosuch'), { instanceOf: InputError, message: '--limit "nosuch" leaves us with no hosts to target: it matches no host of the inventory' })
  // Matching hosts that the play does not have is fine: the play just runs on none.
  t.deepEqual(applyLimit(inv, ['gw'], 'm5'), [])
})

test('a pattern too long for a regex: plain names compare as text, a long ~regex is an InputError with a short name', (t) => {
  t.is(select('x'.repeat(100_000)), '')
  t.is(select(`${'*'.repeat(10_000)}gw`), 'gw')
  const error = t.throws(() => select(`~${'h'.repeat(100_000)}`), { instanceOf: InputError })
  t.is(error?.message, `invalid host pattern "~${'h'.repeat(59)}… (100001 characters)": Regular expression too large`)
})

test('globs match in linear time and keep fnmatch semantics', (t) => {
  const many = emptyInventory()
  parseIni(`[g]\n${'a'.repeat(40)}\nab\n]x\nb-1\n`, 'hosts', many)
  reconcile(many)
  const started = performance.now()
  t.is(selectHosts(many, `${'*a'.repeat(12)}*b`).join(' '), '')
  t.true(performance.now() - started < 1000)
  t.is(selectHosts(many, '*a*b').join(' '), 'ab')
  t.is(selectHosts(many, '[]]x,').join(' '), ']x')
  t.is(selectHosts(many, '[!a-z]*').join(' '), ']x')
  t.is(selectHosts(many, 'b[-]?').join(' '), 'b-1')
  t.is(selectHosts(many, '?b').join(' '), 'ab')
  t.is(selectHosts(many, '[z-a]b').join(' '), '')
  t.is(selectHosts(many, 'a[b').join(' '), '')
})
