import { InputError, type Place } from '../errors.ts'
import type { Vars } from '../vars.ts'
import { VaultError } from '../vault/keyring.ts'
import { Vaulted } from '../vault/value.ts'
import { evaluate, toText, UndefinedError, varsScope, type Scope } from './expr-eval.ts'
import { ExprError } from './expr-lex.ts'
import { parseExpr, type Expr } from './expr-parse.ts'
import { define } from './record.ts'

// Fills `{{ expr }}` in strings, recursively through lists and mappings; a string that is exactly one
// `{{ expr }}` keeps the value's type. Never evaluates code; an undefined variable is an InputError at `place`.
export function render(value: unknown, vars: Vars, place?: Place): unknown {
  return renderWith(value, varsScope(vars), place)
}

// The same, with variables looked up through `scope` (LazyVars renders them on first use this way).
// A `!vault` value is decrypted here, where it is used, and is never templated further (as in Ansible).
export function renderWith(value: unknown, scope: Scope, place?: Place, subject = ''): unknown {
  if (typeof value === 'string') return renderString(value, scope, place, subject)
  if (value instanceof Vaulted) return reveal(value, place, subject)
  // Frozen values hold no templates (the inventory's shared `groups`): shared, not copied per host.
  if (typeof value === 'object' && value !== null && Object.isFrozen(value)) return value
  if (Array.isArray(value)) return value.map((item) => renderWith(item, scope, place, subject))
  if (typeof value === 'object' && value !== null) {
    const out: Vars = {}
    for (const [key, item] of Object.entries(value)) define(out, key, renderWith(item, scope, place, subject))
    return out
  }
  return value
}

// Parses every template in a value without rendering it, so a syntax error surfaces when the file is loaded.
export function checkTemplates(value: unknown, place?: Place): void {
  if (typeof value === 'string') {
    if (value.includes('{')) split(value, place, '')
  } else if (typeof value === 'object' && value !== null && !(value instanceof Vaulted)) for (const item of Object.values(value)) checkTemplates(item, place)
}

function reveal(value: Vaulted, place: Place | undefined, subject: string): string {
  try {
    return value.reveal()
  } catch (error) {
    if (error instanceof VaultError) throw new InputError(`${subject}${error.message}`, place)
    throw error
  }
}

type Part = string | Expr

function renderString(text: string, scope: Scope, place: Place | undefined, subject: string): unknown {
  if (!text.includes('{')) return text
  const parts = split(text, place, subject)
  try {
    if (parts.length === 1 && typeof parts[0] !== 'string') return evaluate(parts[0]!, scope)
    return parts.map((part) => (typeof part === 'string' ? part : toText(evaluate(part, scope)))).join('')
  } catch (error) {
    if (!(error instanceof ExprError)) throw error
    const hint = error instanceof UndefinedError && error.root !== undefined ? scope.hint?.(error.root) : undefined
    throw new InputError(`${subject}${error.message} in ${JSON.stringify(text)}${hint ? ` (${hint})` : ''}`, place)
  }
}

// Parsed templates by source text: the same strings are rendered for every host.
const cache = new Map<string, Part[]>()
const CACHE_LIMIT = 2000

function split(text: string, place: Place | undefined, subject: string): Part[] {
  const cached = cache.get(text)
  if (cached) return cached
  const parts: Part[] = []
  let i = 0
  while (i < text.length) {
    const open = text.indexOf('{{', i)
    const statement = /\{[%#]/.exec(text.slice(i))
    if (statement && (open < 0 || i + statement.index < open))
      throw new InputError(`${subject}only '{{ expression }}' templates are supported, found '${statement[0]}' in ${JSON.stringify(text)}`, place)
    if (open < 0) break
    const close = text.indexOf('}}', open + 2)
    if (close < 0) throw new InputError(`${subject}unclosed '{{' in ${JSON.stringify(text)}, expected '}}'`, place)
    if (open > i) parts.push(text.slice(i, open))
    try {
      parts.push(parseExpr(text.slice(open + 2, close)))
    } catch (error) {
      if (!(error instanceof ExprError)) throw error
      throw new InputError(`${subject}invalid template ${JSON.stringify(text.slice(open, close + 2))}: ${error.message}`, place)
    }
    i = close + 2
  }
  if (i < text.length) parts.push(text.slice(i))
  if (cache.size >= CACHE_LIMIT) cache.clear()
  cache.set(text, parts)
  return parts
}
