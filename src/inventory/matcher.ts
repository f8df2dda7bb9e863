import { InputError } from '../errors.ts'

// A name test for one host-pattern term.
export type Matcher = (name: string) => boolean

// One glob element: `*`, `?`, a literal character, or a [set] of character-code ranges.
type Token =
  | { kind: 'star' }
  | { kind: 'any' }
  | { kind: 'char'; code: number }
  | { kind: 'set'; negated: boolean; ranges: [number, number][] }

const SHOWN_PATTERN = 80

// A name test for one host-pattern term: `~regex` is a Python regex anchored at the start
// (re.match), a glob (* ? [set]) is matched whole (fnmatch) in linear time, anything else is
// compared as is; all case-sensitive. V8 compiles a regex on first use, so it is tried here.
export function compileMatcher(term: string, pattern: string): Matcher {
  if (!term.startsWith('~')) {
    if (!/[*?[]/.test(term)) return (name) => name === term
    const tokens = globTokens(term)
    return (name) => globMatch(tokens, name)
  }
  try {
    const { source, flags } = pythonRegex(term.slice(1))
    const re = new RegExp(`^(?:${source})`, flags)
    re.test('')
    return (name) => re.test(name)
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e)
    // V8 quotes the whole source ("Invalid regular expression: /…/: why"): keep only the why.
    const why = message.startsWith('Invalid regular expression: ') ? message.slice(message.lastIndexOf(': ') + 2) : message
    throw new InputError(`invalid host pattern "${shortPattern(pattern)}": ${why}`)
  }
}

// A pattern as error messages show it: whole when short, else its start (patterns can be megabytes).
export function shortPattern(pattern: string): string {
  return pattern.length > SHOWN_PATTERN ? `${pattern.slice(0, SHOWN_PATTERN - 20)}… (${pattern.length} characters)` : pattern
}

// Python's fnmatch.translate as tokens: * ? [set] [!set] (a ] first in a set is literal); an unclosed [ is a literal.
function globTokens(glob: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < glob.length) {
    const c = glob.charAt(i++)
    if (c === '*') {
      if (tokens.at(-1)?.kind !== 'star') tokens.push({ kind: 'star' })
    } else if (c === '?') {
      tokens.push({ kind: 'any' })
    } else if (c === '[') {
      let j = i
      if (glob.charAt(j) === '!') j++
      if (glob.charAt(j) === ']') j++
      while (j < glob.length && glob.charAt(j) !== ']') j++
      if (j >= glob.length) {
        tokens.push({ kind: 'char', code: 0x5b })
        continue
      }
      const set = glob.slice(i, j)
      i = j + 1
      const negated = set.startsWith('!')
      tokens.push({ kind: 'set', negated, ranges: setRanges(negated ? set.slice(1) : set) })
    } else {
      tokens.push({ kind: 'char', code: c.charCodeAt(0) })
    }
  }
  return tokens
}

// The ranges of a set's body: `a-z` is a range (dropped when reversed, as Python 3.9+ does), a `-` first or last is literal.
function setRanges(body: string): [number, number][] {
  const ranges: [number, number][] = []
  for (let k = 0; k < body.length; k++) {
    const lo = body.charCodeAt(k)
    if (body.charAt(k + 1) === '-' && k + 2 < body.length) {
      const hi = body.charCodeAt(k + 2)
      if (lo <= hi) ranges.push([lo, hi])
      k += 2
    } else {
      ranges.push([lo, lo])
    }
  }
  return ranges
}

function matchesOne(token: Exclude<Token, { kind: 'star' }>, code: number): boolean {
  if (token.kind === 'any') return true
  if (token.kind === 'char') return token.code === code
  return token.ranges.some(([lo, hi]) => code >= lo && code <= hi) !== token.negated
}

// Wildcard matching with one backtrack point (the last `*`): every other token takes exactly one
// character, so retrying only the last star is exact, and the time is at most glob × name, never exponential.
function globMatch(tokens: Token[], name: string): boolean {
  let t = 0
  let n = 0
  let star = -1
  let resume = 0
  while (n < name.length) {
    const token = tokens[t]
    if (token?.kind === 'star') {
      star = t++
      resume = n
    } else if (token !== undefined && matchesOne(token, name.charCodeAt(n))) {
      t++
      n++
    } else if (star >= 0) {
      t = star + 1
      n = ++resume
    } else {
      return false
    }
  }
  while (tokens[t]?.kind === 'star') t++
  return t === tokens.length
}

// The few Python-only spellings a host regex is likely to use, in JavaScript terms.
function pythonRegex(source: string): { source: string; flags: string } {
  let flags = ''
  const inline = /^\(\?([aiLmsux]+)\)/.exec(source)
  if (inline) {
    for (const f of inline[1] ?? '') if ('ims'.includes(f)) flags += f
    source = source.slice(inline[0].length)
  }
  const converted = source
    .replace(/\(\?P</g, '(?<')
    .replace(/\(\?P=(\w+)\)/g, '\\k<$1>')
    .replace(/\\Z/g, '$')
    .replace(/\\A/g, '^')
  return { source: converted, flags }
}
