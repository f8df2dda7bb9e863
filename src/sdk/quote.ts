import { createRequire } from 'node:module'

type Quote = (arg: string) => string
let zxQuote: Quote | undefined

// zx's quote, loaded on first use: importing zx costs ~0.3 s that --version or --list-hosts should not pay.
export function quote(arg: string): string {
  zxQuote ??= (createRequire(import.meta.url)('zx') as { quote: Quote }).quote
  return zxQuote(arg)
}
