import { InputError, type Place } from '../errors.ts'
import type { Vars } from '../vars.ts'
import type { Scope } from './expr-eval.ts'
import { own } from './record.ts'
import { renderWith } from './template.ts'

// Where a variable was written: one place for all, or a look-up per name.
export type PlaceOf = Place | ((name: string) => Place | undefined)

// One precedence layer of a variable set. `literal`: data that is never templated (facts, magic variables).
// `later`: names whose values are not known yet (facts before they are gathered); a value that uses one is
// deferred (Later), since it can only be judged once they are.
export type VarLayer = { vars: Vars; place?: PlaceOf; literal?: boolean } | { later: (name: string) => boolean }

// Thrown when a template uses a name that is known only later.
export class Later extends Error {
  constructor(readonly variable: string) {
    super(`'${variable}' is known only once facts are gathered`)
  }
}

export interface LazyOptions {
  // Starts every error message ("host m5-01: ").
  subject?: string
  // A word about an undefined name ("no such fact in labplay").
  hint?: (name: string) => string | undefined
  // Each variable once it is rendered (secret-named ones are registered as secrets).
  onValue?: (name: string, value: unknown) => void
}

type Found = { value: unknown; place?: Place; literal: boolean } | 'later'
type Memo = { value: unknown } | { error: unknown }

// A variable set rendered as Ansible renders variables: each one only when something uses it (a role's
// variable, a connection variable, a play field, another variable's template), once, then remembered.
// An undefined name is an error only then, naming the variable, where it was written and the subject.
export class LazyVars {
  private readonly memo = new Map<string, Memo>()
  private readonly stack: string[] = []
  readonly scope: Scope

  constructor(
    private readonly layers: readonly VarLayer[],
    private readonly options: LazyOptions = {},
  ) {
    const scope: Scope = (name, missing) => {
      const found = this.find(name)
      if (found === undefined) return missing()
      if (found === 'later') throw new Later(name)
      return this.value(name, found)
    }
    scope.hint = options.hint
    this.scope = scope
  }

  // Whether the name is set (or will be, once facts are known).
  has(name: string): boolean {
    return this.find(name) !== undefined
  }

  // The rendered value (undefined when not set); throws InputError, or Later.
  get(name: string): unknown {
    const found = this.find(name)
    if (found === 'later') throw new Later(name)
    return found === undefined ? undefined : this.value(name, found)
  }

  // Renders a value that is not one of the variables (a play field) against them.
  render(value: unknown, place: Place | undefined, what: string): unknown {
    return renderWith(value, this.scope, place, `${this.options.subject ?? ''}${what}: `)
  }

  private find(name: string): Found | undefined {
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const layer = this.layers[i]!
      if ('later' in layer) {
        if (layer.later(name)) return 'later'
      } else if (own(layer.vars, name)) {
        const place = typeof layer.place === 'function' ? layer.place(name) : layer.place
        return { value: layer.vars[name], place, literal: layer.literal === true }
      }
    }
    return undefined
  }

  private value(name: string, found: Exclude<Found, 'later'>): unknown {
    if (found.literal) return found.value
    const memo = this.memo.get(name)
    if (memo) {
      if ('error' in memo) throw memo.error
      return memo.value
    }
    if (this.stack.includes(name)) {
      const chain = [...this.stack.slice(this.stack.indexOf(name)), name].join(' → ')
      throw new InputError(`${this.options.subject ?? ''}variables refer to each other in a cycle: ${chain}`, found.place)
    }
    this.stack.push(name)
    try {
      const value = renderWith(found.value, this.scope, found.place, `${this.options.subject ?? ''}variable '${name}': `)
      this.memo.set(name, { value })
      this.options.onValue?.(name, value)
      return value
    } catch (error) {
      if (!(error instanceof Later)) this.memo.set(name, { error })
      throw error
    } finally {
      this.stack.pop()
    }
  }
}
