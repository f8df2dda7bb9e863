import { InputError } from '../errors.ts'

// A name test for one host-pattern term: `~regex` is a Python regex anchored at the start
// (re.match), anything else a shell glob matched whole (fnmatch), both case-sensitive.
export function compileMatcher(term: string, pattern: string): RegExp {
  try {
    if (term.startsWith('~')) {
      const { source, flags } = pythonRegex(term.slice(1))
      return new RegExp(`^(?:${source})`, flags)
    }
    return new RegExp(`^(?:${globSource(term)})$`, 's')
  } catch (e) {
    const why = e instanceof Error ? e.message.replace(/^Invalid regular expression: /, '') : String(e)
    throw new InputError(`invalid host pattern "${pattern}": ${why}`)
  }
}

// Python's fnmatch.translate: * ? [set] [!set]; an unclosed [ is a literal.
function globSource(glob: string): string {
  let out = ''
  let i = 0
  while (i < glob.length) {
    const c = glob.charAt(i++)
    if (c === '*') {
      if (!out.endsWith('.*')) out += '.*'
    } else if (c === '?') {
      out += '.'
    } else if (c === '[') {
      let j = i
      if (glob.charAt(j) === '!') j++
      if (glob.charAt(j) === ']') j++
      while (j < glob.length && glob.charAt(j) !== ']') j++
      if (j >= glob.length) {
        out += '\\['
        continue
      }
      let set = glob.slice(i, j).replace(/\\/g, '\\\\')
      i = j + 1
      if (set === '') out += '(?!)'
      else if (set === '!') out += '.'
      else {
        if (set.startsWith('!')) set = '^' + set.slice(1)
        else if (set.startsWith('^') || set.startsWith('[')) set = '\\' + set
        out += `[${set}]`
      }
    } else {
      out += c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')
    }
  }
  return out
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
