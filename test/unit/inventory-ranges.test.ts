import test from 'ava'
import { InputError } from '../../src/errors.ts'
import { expandHostRange } from '../../src/inventory/ranges.ts'

const place = { file: 'm5.ini', line: 7, col: 1 }

test('a name without brackets is itself', (t) => {
  t.deepEqual(expandHostRange('gateway', place), ['gateway'])
})

test('numeric ranges keep the zero padding of their start and include the end', (t) => {
  const room = expandHostRange('m5-[01:18]', place)
  t.is(room.length, 18)
  t.deepEqual(room.slice(0, 2), ['m5-01', 'm5-02'])
  t.is(room.at(-1), 'm5-18')
  t.deepEqual(expandHostRange('pc[8:11]', place), ['pc8', 'pc9', 'pc10', 'pc11'])
  t.deepEqual(expandHostRange('db[:2].lab', place), ['db0.lab', 'db1.lab', 'db2.lab'])
})

test('letters and strides', (t) => {
  t.deepEqual(expandHostRange('m6-[a:f]', place), ['m6-a', 'm6-b', 'm6-c', 'm6-d', 'm6-e', 'm6-f'])
  t.deepEqual(expandHostRange('n[0:10:5]', place), ['n0', 'n5', 'n10'])
  t.deepEqual(expandHostRange('n[a:g:3]', place), ['na', 'nd', 'ng'])
  t.deepEqual(expandHostRange('n[A:C]', place), ['nA', 'nB', 'nC'])
})

test('several ranges in one name: the first varies slowest', (t) => {
  t.deepEqual(expandHostRange('r[1:2]-[a:b].lab', place), ['r1-a.lab', 'r1-b.lab', 'r2-a.lab', 'r2-b.lab'])
})

test('an end before the start gives no host, as in Ansible', (t) => {
  t.deepEqual(expandHostRange('n[5:1]', place), [])
})

const bad: [string, string][] = [
  ['m5-[01:]', 'bad host range "m5-[01:]": expected [start:end] or [start:end:stride]'],
  ['m5-[01]', 'bad host range "m5-[01]": expected [start:end] or [start:end:stride]'],
  ['m5-[1:2:3:4]', 'bad host range "m5-[1:2:3:4]": expected [start:end] or [start:end:stride]'],
  ['m5-[01:2', 'bad host range "m5-[01:2": expected [start:end] or [start:end:stride]'],
  ['m5-[01:100]', 'bad host range "m5-[01:100]": a zero-padded start and its end must have the same width'],
  ['m5-[1:9:0]', 'bad host range "m5-[1:9:0]": the stride must be a whole number of at least 1'],
  ['m5-[a:9]', 'bad host range "m5-[a:9]": expected [start:end] or [start:end:stride] with numbers or single letters'],
  ['m5-[f:a]', 'bad host range "m5-[f:a]": the start comes after the end'],
  ['m5-[1:99999999]', 'host range "m5-[1:99999999]" expands to more than 100000 hosts'],
  ['m[1:1000]-[1:1000]', 'host range "m[1:1000]-[1:1000]" expands to more than 100000 hosts'],
]

for (const [pattern, message] of bad) {
  test(`refuses ${pattern} with its place`, (t) => {
    const error = t.throws(() => expandHostRange(pattern, place), { instanceOf: InputError, message })
    t.deepEqual(error?.place, place)
    t.is(error?.format(), `m5.ini:7:1: ${message}`)
  })
}
