// Secret values that become known while labplay runs: a value decrypted from ansible-vault, a rendered
// `*_password`. Each masker (src/engine/redact.ts) listens, so such a value is masked wherever it shows up,
// whichever part of labplay learnt it first.
const seen = new Set<string>()
const listeners = new Set<(value: string) => void>()
// Rendered variables by name: a secret-named one (or one holding secret-named keys) is masked by name too,
// so a value too short to find safely by value is still masked where it follows its name.
const rendered: Array<[string, unknown]> = []
const renderedSeen = new Set<string>()
const varListeners = new Set<(name: string, value: unknown) => void>()

// Records a secret value and tells every listener.
export function revealed(value: unknown): void {
  const text = typeof value === 'number' ? String(value) : value
  if (typeof text !== 'string' || seen.has(text)) return
  seen.add(text)
  for (const listener of listeners) listener(text)
}

// Calls `listener` with every secret value seen so far and every later one.
export function onRevealed(listener: (value: string) => void): void {
  for (const value of seen) listener(value)
  listeners.add(listener)
}

// Records a variable as rendered for a host; each listener decides what of it is secret (by name, at any depth).
export function renderedVar(name: string, value: unknown): void {
  // The same plain value of the same variable on many hosts is told once.
  const key = typeof value === 'object' && value !== null ? undefined : `${name}\0${typeof value}\0${String(value)}`
  if (key !== undefined && renderedSeen.has(key)) return
  if (key !== undefined) renderedSeen.add(key)
  rendered.push([name, value])
  for (const listener of varListeners) listener(name, value)
}

// Calls `listener` with every variable rendered so far and every later one.
export function onRenderedVar(listener: (name: string, value: unknown) => void): void {
  for (const [name, value] of rendered) listener(name, value)
  varListeners.add(listener)
}
