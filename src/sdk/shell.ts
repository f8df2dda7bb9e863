import { quote } from './quote.ts'

// Builds a command from a tagged template; every interpolated value is data, never shell syntax.
export function shell(strings: TemplateStringsArray, values: unknown[]): string {
  let out = strings[0] ?? ''
  values.forEach((value, i) => {
    out += quoteValue(value) + (strings[i + 1] ?? '')
  })
  return out
}

function quoteValue(value: unknown): string {
  if (Array.isArray(value)) return value.map(quoteValue).join(' ')
  if (value === undefined || value === null) throw new TypeError('cannot interpolate an undefined value into a command')
  return quote(String(value))
}
