// Python's shlex.split(line, comments=True), which Ansible uses on INI host lines:
// quotes group and vanish, `\` escapes, `#` starts a comment even inside a word.

// The words of `line`, or a message saying why it cannot be split.
export function shlexSplit(line: string): string[] | { error: string } {
  const words: string[] = []
  let word = ''
  let inWord = false
  let quote = ''
  for (let i = 0; i < line.length; i++) {
    const ch = line.charAt(i)
    if (quote === "'") {
      if (ch === "'") quote = ''
      else word += ch
      continue
    }
    if (quote === '"') {
      if (ch === '"') quote = ''
      else if (ch === '\\' && i + 1 < line.length) {
        const next = line.charAt(++i)
        word += next === '"' || next === '\\' ? next : ch + next
      } else if (ch === '\\') return { error: 'no escaped character after \\' }
      else word += ch
      continue
    }
    if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n') {
      if (inWord) words.push(word)
      word = ''
      inWord = false
    } else if (ch === '#') {
      break
    } else if (ch === '\\') {
      if (i + 1 >= line.length) return { error: 'no escaped character after \\' }
      word += line.charAt(++i)
      inWord = true
    } else if (ch === "'" || ch === '"') {
      quote = ch
      inWord = true
    } else {
      word += ch
      inWord = true
    }
  }
  if (quote) return { error: `no closing quotation (${quote})` }
  if (inWord) words.push(word)
  return words
}
