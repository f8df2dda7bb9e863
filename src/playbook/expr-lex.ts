// A bad expression, with the offset (0-based, in the expression's source) where it goes wrong.
export class ExprError extends Error {
  constructor(
    message: string,
    readonly at: number,
  ) {
    super(message)
    this.name = 'ExprError'
  }
}

// The words and signs of the expression language shared by `when` and `{{ }}`.
export type Token =
  | { kind: 'num'; value: number; at: number }
  | { kind: 'str'; value: string; at: number }
  | { kind: 'name'; value: string; at: number }
  | { kind: 'op'; value: string; at: number }
  | { kind: 'end'; value: ''; at: number }

const OPERATORS = ['==', '!=', '<=', '>=', '<', '>', '|', '(', ')', '[', ']', '{', '}', '.', ',', ':', '-']
// Habits from other languages, answered with what to write instead.
const MISTAKES: Record<string, string> = {
  '&&': "use 'and'",
  '||': "use 'or'",
  '!': "use 'not'",
  '=': "use '==' to compare",
}
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"' }

// Splits an expression into tokens; throws ExprError at the first character it cannot read.
export function tokenize(source: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < source.length) {
    const c = source[i]!
    if (/\s/.test(c)) {
      i++
      continue
    }
    const afterDot = tokens.at(-1)?.value === '.'
    const number = (afterDot ? /^\d+/ : /^\d+(?:\.\d+)?/).exec(source.slice(i))
    if (number) {
      tokens.push({ kind: 'num', value: Number(number[0]), at: i })
      i += number[0].length
      continue
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i))
    if (name) {
      tokens.push({ kind: 'name', value: name[0], at: i })
      i += name[0].length
      continue
    }
    if (c === "'" || c === '"') {
      const [value, end] = readString(source, i)
      tokens.push({ kind: 'str', value, at: i })
      i = end
      continue
    }
    const mistake = Object.keys(MISTAKES).find((m) => source.startsWith(m, i) && !source.startsWith(m + '=', i))
    if (mistake) throw new ExprError(`unexpected '${mistake}', ${MISTAKES[mistake]}`, i)
    const op = OPERATORS.find((o) => source.startsWith(o, i))
    if (!op) throw new ExprError(`unexpected character '${c}'`, i)
    tokens.push({ kind: 'op', value: op, at: i })
    i += op.length
  }
  tokens.push({ kind: 'end', value: '', at: source.length })
  return tokens
}

function readString(source: string, start: number): [string, number] {
  const quote = source[start]!
  let value = ''
  for (let i = start + 1; i < source.length; i++) {
    const c = source[i]!
    if (c === quote) return [value, i + 1]
    if (c === '\\' && i + 1 < source.length) {
      const next = source[++i]!
      value += ESCAPES[next] ?? '\\' + next
    } else value += c
  }
  throw new ExprError(`unterminated string, expected a closing ${quote}`, start)
}
