import { ExprError, tokenize, type Token } from './expr-lex.ts'

// Operators between two values; chains like `1 < x < 3` mean `1 < x and x < 3`, as in Python.
export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not in'
type TestName = 'defined' | 'undefined' | 'none'

// Filters and how many arguments each takes: [min, max].
const FILTERS = {
  default: [0, 2],
  d: [0, 2],
  bool: [0, 0],
  int: [0, 0],
  float: [0, 0],
  string: [0, 0],
  lower: [0, 0],
  upper: [0, 0],
  trim: [0, 0],
  length: [0, 0],
  count: [0, 0],
} as const satisfies Record<string, readonly [number, number]>
// The filters both `when` and `{{ }}` understand, checked at parse time.
export type FilterName = keyof typeof FILTERS
const TESTS: readonly TestName[] = ['defined', 'undefined', 'none']
const COMPARE = new Set(['==', '!=', '<', '<=', '>', '>='])
const CONSTANTS = new Map<string, unknown>([
  ['true', true],
  ['True', true],
  ['false', false],
  ['False', false],
  ['none', null],
  ['None', null],
  ['null', null],
])

// The syntax tree of an expression; `at` is the source offset used in error messages.
export type Expr =
  | { type: 'lit'; value: unknown }
  | { type: 'list'; items: Expr[] }
  | { type: 'dict'; entries: Array<[string, Expr]> }
  | { type: 'var'; name: string; at: number }
  | { type: 'get'; object: Expr; key: Expr; at: number }
  | { type: 'not'; arg: Expr; at: number }
  | { type: 'neg'; arg: Expr; at: number }
  | { type: 'and' | 'or'; left: Expr; right: Expr }
  | { type: 'compare'; first: Expr; rest: Array<{ op: CompareOp; right: Expr; at: number }> }
  | { type: 'test'; arg: Expr; test: TestName; negate: boolean; at: number }
  | { type: 'filter'; arg: Expr; name: FilterName; args: Expr[]; at: number }

// Parses a whole expression; anything that is not part of the small language is an ExprError with its offset.
export function parseExpr(source: string): Expr {
  const parser = new Parser(tokenize(source))
  if (parser.peek().kind === 'end') throw new ExprError('empty expression', 0)
  const expr = parser.or()
  const rest = parser.peek()
  if (rest.kind !== 'end') throw new ExprError(`unexpected ${describe(rest)}, expected an operator or the end`, rest.at)
  return expr
}

class Parser {
  private i = 0
  constructor(private readonly tokens: Token[]) {}

  peek(ahead = 0): Token {
    return this.tokens[Math.min(this.i + ahead, this.tokens.length - 1)]!
  }

  or(): Expr {
    let left = this.and()
    while (this.word('or')) left = { type: 'or', left, right: this.and() }
    return left
  }

  private and(): Expr {
    let left = this.not()
    while (this.word('and')) left = { type: 'and', left, right: this.not() }
    return left
  }

  private not(): Expr {
    const at = this.peek().at
    if (this.isWord('not') && !this.isWord('in', 1)) {
      this.i++
      return { type: 'not', arg: this.not(), at }
    }
    return this.compare()
  }

  private compare(): Expr {
    const first = this.postfix()
    const rest: Array<{ op: CompareOp; right: Expr; at: number }> = []
    for (;;) {
      const t = this.peek()
      let op: CompareOp
      if (t.kind === 'op' && COMPARE.has(t.value)) op = t.value as CompareOp
      else if (this.isWord('in')) op = 'in'
      else if (this.isWord('not') && this.isWord('in', 1)) op = 'not in'
      else break
      this.i += op === 'not in' ? 2 : 1
      rest.push({ op, right: this.postfix(), at: t.at })
    }
    return rest.length ? { type: 'compare', first, rest } : first
  }

  private postfix(): Expr {
    let expr = this.unary()
    for (;;) {
      const t = this.peek()
      if (this.op('|')) expr = this.filter(expr, t.at)
      else if (this.word('is')) {
        const negate = this.word('not')
        const name = this.name('a test')
        if (!(TESTS as readonly string[]).includes(name.value))
          throw new ExprError(`unknown test '${name.value}', expected one of: ${TESTS.join(', ')}`, name.at)
        expr = { type: 'test', arg: expr, test: name.value as TestName, negate, at: t.at }
      } else return expr
    }
  }

  private filter(arg: Expr, at: number): Expr {
    const name = this.name('a filter name')
    if (!Object.hasOwn(FILTERS, name.value))
      throw new ExprError(`unknown filter '${name.value}', expected one of: ${Object.keys(FILTERS).join(', ')}`, name.at)
    const filter = name.value as FilterName
    const args = this.op('(') ? this.items(')') : []
    const [min, max] = FILTERS[filter]
    if (args.length < min || args.length > max)
      throw new ExprError(`filter '${filter}' takes ${min === max ? min : `${min} to ${max}`} argument(s), got ${args.length}`, name.at)
    return { type: 'filter', arg, name: filter, args, at }
  }

  private unary(): Expr {
    const at = this.peek().at
    if (this.op('-')) return { type: 'neg', arg: this.unary(), at }
    return this.path(this.primary())
  }

  private path(object: Expr): Expr {
    for (;;) {
      const t = this.peek()
      if (this.op('.')) {
        const key = this.peek()
        if (key.kind !== 'name' && key.kind !== 'num') throw new ExprError(`expected a name after '.', got ${describe(key)}`, key.at)
        this.i++
        object = { type: 'get', object, key: { type: 'lit', value: key.value }, at: t.at }
      } else if (this.op('[')) {
        const key = this.or()
        this.expect(']')
        object = { type: 'get', object, key, at: t.at }
      } else if (t.kind === 'op' && t.value === '(') {
        throw new ExprError('calling functions or methods is not supported', t.at)
      } else return object
    }
  }

  private primary(): Expr {
    const t = this.peek()
    this.i++
    if (t.kind === 'num' || t.kind === 'str') return { type: 'lit', value: t.value }
    if (t.kind === 'name') {
      if (CONSTANTS.has(t.value)) return { type: 'lit', value: CONSTANTS.get(t.value) }
      if (['and', 'or', 'not', 'in', 'is'].includes(t.value)) throw new ExprError(`expected a value, got '${t.value}'`, t.at)
      return { type: 'var', name: t.value, at: t.at }
    }
    if (t.kind === 'op' && t.value === '(') {
      const inner = this.or()
      this.expect(')')
      return inner
    }
    if (t.kind === 'op' && t.value === '[') return { type: 'list', items: this.items(']') }
    if (t.kind === 'op' && t.value === '{') return this.dict()
    throw new ExprError(`expected a value, got ${describe(t)}`, t.at)
  }

  private dict(): Expr {
    const entries: Array<[string, Expr]> = []
    while (!this.op('}')) {
      if (entries.length) this.expect(',')
      const key = this.peek()
      if (key.kind !== 'str') throw new ExprError(`expected a quoted key, got ${describe(key)}`, key.at)
      this.i++
      this.expect(':')
      entries.push([key.value, this.or()])
    }
    return { type: 'dict', entries }
  }

  private items(close: string): Expr[] {
    const items: Expr[] = []
    while (!this.op(close)) {
      if (items.length) this.expect(',')
      if (this.op(close)) break
      items.push(this.or())
    }
    return items
  }

  private name(what: string): Extract<Token, { kind: 'name' }> {
    const t = this.peek()
    if (t.kind !== 'name') throw new ExprError(`expected ${what}, got ${describe(t)}`, t.at)
    this.i++
    return t
  }

  private expect(op: string): void {
    const t = this.peek()
    if (!this.op(op)) throw new ExprError(`expected '${op}', got ${describe(t)}`, t.at)
  }

  private op(value: string): boolean {
    const t = this.peek()
    if (t.kind !== 'op' || t.value !== value) return false
    this.i++
    return true
  }

  private isWord(value: string, ahead = 0): boolean {
    const t = this.peek(ahead)
    return t.kind === 'name' && t.value === value
  }

  private word(value: string): boolean {
    if (!this.isWord(value)) return false
    this.i++
    return true
  }
}

function describe(t: Token): string {
  if (t.kind === 'end') return 'the end of the expression'
  if (t.kind === 'str') return `string '${t.value}'`
  return `'${t.value}'`
}
