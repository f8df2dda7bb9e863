import { InputError, type Place } from '../errors.ts'
import type { Vars } from '../vars.ts'
import { evaluate, truthy, varsScope, type Scope } from './expr-eval.ts'
import { ExprError } from './expr-lex.ts'
import { parseExpr } from './expr-parse.ts'
import type { When } from './types.ts'

// A `when` that parsed but cannot be decided for a host (undefined variable, string compared with number):
// bad input met while running, so it fails that host's task (src/sdk/outcome.ts), not the run.
export class WhenError extends InputError {
  constructor(message: string, place: Place) {
    super(message, place)
    this.name = 'WhenError'
  }
}

// Parses a condition once, so a typo fails the whole run before any host is contacted; `place` is where `source` starts.
export function compileWhen(source: string, place: Place): When {
  const braces = source.indexOf('{{')
  if (braces >= 0) throw new InputError(`invalid when ${JSON.stringify(source)}: a condition is already an expression, write it without '{{ }}'`, shift(place, source, braces))
  let expr
  try {
    expr = parseExpr(source)
  } catch (error) {
    if (!(error instanceof ExprError)) throw error
    throw new InputError(`invalid when ${JSON.stringify(source)}: ${error.message}`, shift(place, source, error.at))
  }
  return {
    source,
    place,
    test(vars: Vars | Scope): boolean {
      try {
        return truthy(evaluate(expr, typeof vars === 'function' ? vars : varsScope(vars)))
      } catch (error) {
        if (!(error instanceof ExprError)) throw error
        throw new WhenError(`when ${JSON.stringify(source)}: ${error.message}`, shift(place, source, error.at))
      }
    },
  }
}

// All of Ansible's list form `when: [a, b]` must hold.
export function allOf(conditions: When[]): When {
  if (conditions.length === 1) return conditions[0]!
  return {
    source: conditions.map((c) => `(${c.source})`).join(' and '),
    place: conditions[0]!.place,
    test: (vars) => conditions.every((c) => c.test(vars)),
  }
}

// The place of the offending character, when the source sits on one line of the file.
function shift(place: Place, source: string, at: number): Place {
  if (place.col === undefined || source.slice(0, at).includes('\n')) return place
  return { ...place, col: place.col + at }
}
