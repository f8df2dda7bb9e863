import { ExprError } from './expr-lex.ts'
import type { CompareOp, Expr, FilterName } from './expr-parse.ts'
import { define, own } from './record.ts'
import { booleanOf } from '../sdk/coerce.ts'
import type { Vars } from '../vars.ts'
import { LazyRecord } from './lazy-record.ts'

// A variable (or part of one) that does not exist; fine for `is defined` and `| default`, an error anywhere else.
// `root`: the top-level name, when that name itself is undefined (not just a key of it).
class Missing {
  constructor(
    readonly path: string,
    readonly at: number,
    readonly root?: string,
  ) {}
}

// Using a variable that does not exist; `root` is set when the top-level name itself is undefined.
export class UndefinedError extends ExprError {
  constructor(
    message: string,
    at: number,
    readonly root?: string,
  ) {
    super(message, at)
  }
}

// Looks up a top-level name; returns `missing()` when there is no such variable. `hint` adds a word about an
// undefined top-level name ("labplay's facts have no such fact").
export type Scope = ((name: string, missing: () => unknown) => unknown) & { hint?: (name: string) => string | undefined }

// A scope over a plain variable set: own keys only, so `__proto__` or `constructor` are never reached by accident.
export function varsScope(vars: Vars): Scope {
  return (name, missing) => (own(vars, name) ? vars[name] : missing())
}

// Evaluates a parsed expression against a scope; never runs code, only reads data.
export function evaluate(expr: Expr, scope: Scope): unknown {
  return defined(run(expr, scope))
}

// Python's truthiness, which Ansible users expect: '', [], {}, 0, false and none are false.
export function truthy(value: unknown): boolean {
  const v = defined(value)
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false
  if (Array.isArray(v)) return v.length > 0
  if (typeof v === 'object') return Object.keys(v).length > 0
  return true
}

// How a value reads inside a larger string: strings as they are, everything else as JSON.
export function toText(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? '')
}

function run(expr: Expr, scope: Scope): unknown {
  switch (expr.type) {
    case 'lit':
      return expr.value
    case 'list':
      return expr.items.map((item) => defined(run(item, scope)))
    case 'dict': {
      const dict: Vars = {}
      for (const [key, value] of expr.entries) define(dict, key, defined(run(value, scope)))
      return dict
    }
    case 'var':
      return scope(expr.name, () => new Missing(expr.name, expr.at, expr.name))
    case 'get': {
      const object = run(expr.object, scope)
      const found = object instanceof Missing ? NOTHING : lookup(object, defined(run(expr.key, scope)))
      return found === NOTHING ? new Missing(label(expr), object instanceof Missing ? object.at : expr.at, object instanceof Missing ? object.root : undefined) : found
    }
    case 'not':
      return !truthy(run(expr.arg, scope))
    case 'neg': {
      const v = defined(run(expr.arg, scope))
      if (typeof v !== 'number') throw new ExprError(`cannot negate ${kind(v)}`, expr.at)
      return -v
    }
    case 'and': {
      const left = run(expr.left, scope)
      return truthy(left) ? defined(run(expr.right, scope)) : left
    }
    case 'or': {
      const left = run(expr.left, scope)
      return truthy(left) ? left : defined(run(expr.right, scope))
    }
    case 'compare': {
      let left = run(expr.first, scope)
      for (const { op, right, at } of expr.rest) {
        const r = run(right, scope)
        if (!compare(op, defined(left), defined(r), at)) return false
        left = r
      }
      return true
    }
    case 'test': {
      const v = run(expr.arg, scope)
      const result = expr.test === 'defined' ? !(v instanceof Missing) : expr.test === 'undefined' ? v instanceof Missing : defined(v) === null
      return result !== expr.negate
    }
    case 'filter':
      return filter(expr.name, run(expr.arg, scope), expr.args.map((a) => defined(run(a, scope))), expr.at)
  }
}

function defined(value: unknown): unknown {
  if (value instanceof Missing) throw new UndefinedError(`undefined variable '${value.path}'`, value.at, value.root)
  return value
}

const NOTHING = Symbol('nothing')

// Items of lists and strings by (negative) index, keys of mappings: own data only, never a prototype's.
function lookup(object: unknown, key: unknown): unknown {
  if (object instanceof LazyRecord) return typeof key === 'string' && object.has(key) ? object.get(key) : NOTHING
  if (typeof key === 'number' && Number.isInteger(key) && (Array.isArray(object) || typeof object === 'string')) {
    const item: unknown = object.at(key)
    return item === undefined ? NOTHING : item
  }
  return typeof key === 'string' && isRecord(object) && own(object, key) ? object[key] : NOTHING
}

// `a.b[0]` as the user wrote it, for "undefined variable 'a.b[0]'".
function label(expr: Expr): string {
  if (expr.type === 'var') return expr.name
  if (expr.type !== 'get') return '(…)'
  const key = expr.key.type === 'lit' ? expr.key.value : '…'
  return label(expr.object) + (typeof key === 'string' && /^[A-Za-z_]\w*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`)
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function compare(op: CompareOp, a: unknown, b: unknown, at: number): boolean {
  switch (op) {
    case '==':
      return equal(a, b)
    case '!=':
      return !equal(a, b)
    case 'in':
      return contains(b, a, at)
    case 'not in':
      return !contains(b, a, at)
  }
  const x = typeof a === 'boolean' ? Number(a) : a
  const y = typeof b === 'boolean' ? Number(b) : b
  if (!((typeof x === 'number' && typeof y === 'number') || (typeof x === 'string' && typeof y === 'string')))
    throw new ExprError(`cannot compare ${kind(a)} with ${kind(b)} using '${op}'${typeof x !== typeof y ? " (convert with '| int')" : ''}`, at)
  return op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : x >= y
}

// Python equality: deep for lists and mappings, true == 1 like Python, but '1' != 1.
function equal(a: unknown, b: unknown): boolean {
  if (typeof a === 'boolean' && typeof b === 'number') return Number(a) === b
  if (typeof a === 'number' && typeof b === 'boolean') return a === Number(b)
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equal(x, b[i]))
  if (isRecord(a) && isRecord(b)) {
    const keys = Object.keys(a)
    return keys.length === Object.keys(b).length && keys.every((k) => own(b, k) && equal(a[k], b[k]))
  }
  return a === b
}

function contains(container: unknown, item: unknown, at: number): boolean {
  if (Array.isArray(container)) return container.some((x) => equal(x, item))
  if (typeof container === 'string') {
    if (typeof item !== 'string') throw new ExprError(`'in <string>' needs a string on the left, got ${kind(item)}`, at)
    return container.includes(item)
  }
  if (container instanceof LazyRecord) return typeof item === 'string' && container.has(item)
  if (isRecord(container)) return typeof item === 'string' && own(container, item)
  throw new ExprError(`'in' needs a list, string or mapping on the right, got ${kind(container)}`, at)
}

function filter(name: FilterName, raw: unknown, args: unknown[], at: number): unknown {
  if (name === 'default' || name === 'd') {
    const [fallback = '', ifFalsy = false] = args
    return raw instanceof Missing || (truthy(ifFalsy) && !truthy(raw)) ? fallback : raw
  }
  const value = defined(raw)
  switch (name) {
    case 'bool':
      return booleanOf(value) === true
    case 'int':
      return Math.trunc(toNumber(value))
    case 'float':
      return toNumber(value)
    case 'string':
      return toText(value)
    case 'lower':
      return toText(value).toLowerCase()
    case 'upper':
      return toText(value).toUpperCase()
    case 'trim':
      return toText(value).trim()
    case 'length':
    case 'count':
      if (typeof value === 'string' || Array.isArray(value)) return value.length
      if (value instanceof LazyRecord) return value.keys().length
      if (isRecord(value)) return Object.keys(value).length
      throw new ExprError(`'${name}' needs a string, list or mapping, got ${kind(value)}`, at)
  }
}

// Jinja's int/float: a value that does not read as a number becomes 0.
function toNumber(value: unknown): number {
  if (typeof value === 'number') return value
  if (typeof value === 'boolean') return Number(value)
  if (typeof value === 'string' && /^\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*$/.test(value)) return Number(value)
  return 0
}

function kind(value: unknown): string {
  if (value === null || value === undefined) return 'none'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'a mapping'
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`
  return `${typeof value} ${String(value)}`
}
