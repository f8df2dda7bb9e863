import { InputError, type Place } from '../errors.ts'

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'
const EXPECTED = 'expected [start:end] or [start:end:stride]'

// A room can be big, a typo must not be: no single host expression expands past this.
const MAX_RANGE_HOSTS = 100_000

type Segment = string | string[]

// `m5-[01:18]` → m5-01 … m5-18, as Ansible's expand_hostname_range: zero padding kept,
// letters `[a:f]`, strides `[0:10:2]`, several ranges in one name (the first varies slowest).
export function expandHostRange(pattern: string, place: Place): string[] {
  if (!pattern.includes('[')) return [pattern]
  const segments: Segment[] = []
  let rest = pattern
  let total = 1
  while (rest.includes('[')) {
    const open = rest.indexOf('[')
    const close = rest.indexOf(']')
    if (close < open) throw new InputError(`bad host range "${pattern}": ${EXPECTED}`, place)
    const values = rangeValues(rest.slice(open + 1, close), pattern, place)
    total *= values.length
    if (total > MAX_RANGE_HOSTS) {
      throw new InputError(`host range "${pattern}" expands to more than ${MAX_RANGE_HOSTS} hosts`, place)
    }
    segments.push(rest.slice(0, open), values)
    rest = rest.slice(close + 1)
  }
  segments.push(rest)
  let names = ['']
  for (const segment of segments) {
    names = typeof segment === 'string'
      ? names.map((name) => name + segment)
      : names.flatMap((name) => segment.map((value) => name + value))
  }
  return names
}

function rangeValues(inner: string, pattern: string, place: Place): string[] {
  const bounds = inner.split(':')
  const [rawBegin = '', end = '', rawStep = '1'] = bounds
  if ((bounds.length !== 2 && bounds.length !== 3) || end === '') {
    throw new InputError(`bad host range "${pattern}": ${EXPECTED}`, place)
  }
  const begin = rawBegin === '' ? '0' : rawBegin
  const step = parseInteger(rawStep)
  if (step === undefined || step < 1) {
    throw new InputError(`bad host range "${pattern}": the stride must be a whole number of at least 1`, place)
  }
  const padded = begin.length > 1 && begin.startsWith('0')
  if (padded && begin.length !== end.length) {
    throw new InputError(`bad host range "${pattern}": a zero-padded start and its end must have the same width`, place)
  }
  const letterBegin = LETTERS.indexOf(begin)
  const letterEnd = LETTERS.indexOf(end)
  if (letterBegin >= 0 && letterEnd >= 0) {
    if (letterBegin > letterEnd) throw new InputError(`bad host range "${pattern}": the start comes after the end`, place)
    const letters: string[] = []
    for (let i = letterBegin; i <= letterEnd; i += step) letters.push(LETTERS.charAt(i))
    return letters
  }
  const from = parseInteger(begin)
  const to = parseInteger(end)
  if (from === undefined || to === undefined) {
    throw new InputError(`bad host range "${pattern}": ${EXPECTED} with numbers or single letters`, place)
  }
  const count = to < from ? 0 : Math.floor((to - from) / step) + 1
  if (count > MAX_RANGE_HOSTS) {
    throw new InputError(`host range "${pattern}" expands to more than ${MAX_RANGE_HOSTS} hosts`, place)
  }
  const values: string[] = []
  for (let i = from; i <= to; i += step) values.push(padded ? String(i).padStart(begin.length, '0') : String(i))
  return values
}

function parseInteger(text: string): number | undefined {
  if (!/^[+-]?\d{1,15}$/.test(text.trim())) return undefined
  return Number(text.trim())
}
