// INI inventory values are Python literals for Ansible (ast.literal_eval): `5` is a number,
// `True` a boolean, `'x y'` a string, `[1, 2]` a list; anything else stays the text it was.

const MAX_NESTING = 100
const DIGITS = String.raw`\d(?:_?\d)*`
const EXPONENT = String.raw`[eE][+-]?${DIGITS}`
const NUMBERS: [RegExp, (text: string) => number][] = [
  [/^0[xX](?:_?[0-9a-fA-F])+/, (t) => parseInt(t.slice(2), 16)],
  [/^0[oO](?:_?[0-7])+/, (t) => parseInt(t.slice(2), 8)],
  [/^0[bB](?:_?[01])+/, (t) => parseInt(t.slice(2), 2)],
  [/^(?:[1-9](?:_?\d)*|0(?:_?0)*)(?![\d_.eE])/, Number],
]
const FLOAT = new RegExp(`^(?:${DIGITS}\\.(?:${DIGITS})?|\\.${DIGITS})(?:${EXPONENT})?|^${DIGITS}${EXPONENT}`)
const STRING_START = /^([rRbBuU]|[rR][bB]|[bB][rR])?(['"])/
const NAMES: Record<string, unknown> = { True: true, False: false, None: null }
const SIMPLE_ESCAPES: Record<string, string> = {
  n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v',
}

class NotLiteral extends Error {}

// The value Ansible's INI plugin would store for `text`.
export function parseIniValue(text: string): unknown {
  try {
    const parser = new Parser(text.replace(/^[ \t]+/, ''))
    const value = parser.value(0)
    parser.skip()
    if (!parser.done()) return text
    return value
  } catch (error) {
    if (error instanceof NotLiteral) return text
    throw error
  }
}

class Parser {
  private at = 0
  constructor(private readonly src: string) {}

  done(): boolean {
    return this.at >= this.src.length
  }

  skip(): void {
    for (;;) {
      const ch = this.src.charAt(this.at)
      if (ch === ' ' || ch === '\t') this.at++
      else if (ch === '#') this.at = this.src.length
      else return
    }
  }

  value(depth: number): unknown {
    if (depth > MAX_NESTING) throw new NotLiteral()
    this.skip()
    const rest = this.src.slice(this.at)
    const ch = rest.charAt(0)
    if (ch === '[') return this.sequence(']', depth)
    if (ch === '(') return this.parenthesised(depth)
    if (ch === '{') return this.braces(depth)
    if (STRING_START.test(rest)) return this.strings()
    if (ch === '-' || ch === '+') {
      this.at++
      this.skip()
      const n = this.number()
      return ch === '-' ? 0 - n : n
    }
    const name = /^[A-Za-z_]\w*/.exec(rest)?.[0]
    if (name !== undefined) {
      if (!(name in NAMES)) throw new NotLiteral()
      this.at += name.length
      return NAMES[name]
    }
    return this.number()
  }

  private number(): number {
    const rest = this.src.slice(this.at)
    for (const [re, convert] of NUMBERS) {
      const m = re.exec(rest)
      if (!m) continue
      const n = convert(this.token(m[0]))
      if (!Number.isSafeInteger(n)) throw new NotLiteral()
      return n
    }
    const m = FLOAT.exec(rest)
    if (!m) throw new NotLiteral()
    return Number(this.token(m[0]))
  }

  private token(text: string): string {
    if (/^[\w.]/.test(this.src.slice(this.at + text.length))) throw new NotLiteral()
    this.at += text.length
    return text.replace(/_/g, '')
  }

  private strings(): string {
    let out = ''
    let m: RegExpExecArray | null
    while ((m = STRING_START.exec(this.src.slice(this.at)))) {
      this.at += m[0].length
      out += this.string(m[2] ?? '"', (m[1] ?? '').toLowerCase().includes('r'))
      this.skip()
    }
    return out
  }

  private string(quote: string, raw: boolean): string {
    let out = ''
    for (;;) {
      if (this.done()) throw new NotLiteral()
      const ch = this.src.charAt(this.at++)
      if (ch === quote) return out
      if (ch !== '\\') {
        out += ch
        continue
      }
      const next = this.src.charAt(this.at++)
      if (raw) out += '\\' + next
      else out += this.escape(next)
    }
  }

  private escape(next: string): string {
    const simple = SIMPLE_ESCAPES[next]
    if (simple !== undefined) return simple
    const octal = /^[0-7]{1,3}/.exec(next + this.src.slice(this.at, this.at + 2))?.[0]
    if (octal !== undefined) {
      this.at += octal.length - 1
      return String.fromCharCode(parseInt(octal, 8))
    }
    const width = next === 'x' ? 2 : next === 'u' ? 4 : next === 'U' ? 8 : 0
    if (width === 0) return '\\' + next
    const hex = this.src.slice(this.at, this.at + width)
    const code = parseInt(hex, 16)
    if (!new RegExp(`^[0-9a-fA-F]{${width}}$`).test(hex) || code > 0x10ffff) throw new NotLiteral()
    this.at += width
    return String.fromCodePoint(code)
  }

  private items<T>(close: string, item: () => T, items: T[] = []): T[] {
    for (;;) {
      this.skip()
      if (this.peek() === close) {
        this.at++
        return items
      }
      items.push(item())
      this.afterItem(close)
    }
  }

  private afterItem(close: string): void {
    this.skip()
    const sep = this.peek()
    if (sep === ',') this.at++
    else if (sep !== close) throw new NotLiteral()
  }

  private peek(): string {
    return this.src.charAt(this.at)
  }

  private sequence(close: string, depth: number): unknown[] {
    this.at++
    return this.items(close, () => this.value(depth + 1))
  }

  private parenthesised(depth: number): unknown {
    const start = this.at
    const items = this.sequence(')', depth)
    const inner = this.src.slice(start + 1, this.at - 1)
    return items.length === 1 && !/,\s*(#.*)?$/.test(inner) ? items[0] : items
  }

  private braces(depth: number): unknown {
    this.at++
    this.skip()
    if (this.peek() === '}') {
      this.at++
      return {}
    }
    const first = this.value(depth + 1)
    this.skip()
    if (this.peek() !== ':') {
      this.afterItem('}')
      return this.items('}', () => this.value(depth + 1), [first])
    }
    const pair = (key: unknown): [string, unknown] => {
      this.skip()
      if (this.peek() !== ':') throw new NotLiteral()
      this.at++
      return [String(key), this.value(depth + 1)]
    }
    const pairs = [pair(first)]
    this.afterItem('}')
    return Object.fromEntries(this.items('}', () => pair(this.value(depth + 1)), pairs))
  }
}
