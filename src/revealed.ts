// Secret values that become known while labplay runs: a value decrypted from ansible-vault, a rendered
// `*_password`. Each masker (src/engine/redact.ts) listens, so such a value is masked wherever it shows up,
// whichever part of labplay learnt it first.
const seen = new Set<string>()
const listeners = new Set<(value: string) => void>()

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
