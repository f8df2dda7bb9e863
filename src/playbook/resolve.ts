import { InputError, type Place } from '../errors.ts'
import type { Vars } from '../vars.ts'
import { define, own } from './record.ts'
import { renderWith } from './template.ts'

// Where a variable was written: one place for all, or a look-up per name (Play.varPlaces and friends).
export type PlaceOf = Place | ((name: string) => Place | undefined)

// Renders a merged variable set whose values refer to each other (image_path: "/srv/{{ image_name }}.qcow2"),
// each variable once, in dependency order; a cycle is an InputError naming the chain.
export function resolveVars(vars: Vars, place?: PlaceOf): Vars {
  const placeOf = typeof place === 'function' ? place : () => place
  const resolved: Vars = {}
  const done = new Set<string>()
  const stack: string[] = []

  const resolve = (name: string): unknown => {
    if (done.has(name)) return resolved[name]
    if (stack.includes(name)) {
      const chain = [...stack.slice(stack.indexOf(name)), name].join(' → ')
      throw new InputError(`variables refer to each other in a cycle: ${chain}`, placeOf(name))
    }
    stack.push(name)
    const value = renderWith(vars[name], (ref, missing) => (own(vars, ref) ? resolve(ref) : missing()), placeOf(name), `variable '${name}': `)
    stack.pop()
    done.add(name)
    define(resolved, name, value)
    return value
  }

  for (const name of Object.keys(vars)) resolve(name)
  return resolved
}
