import { onRevealed } from '../revealed.ts'
import { quote } from '../sdk/quote.ts'
import type { Vars } from '../vars.ts'
import type { RunEvent, RunSummary } from './events.ts'

// Variables whose name says they are secret: their values never reach the output, JSON or retry file.
export const SECRET_NAME = /(^|_)(pass|password|passwd|passphrase|secret|token|api_key)$/i

const MASK = '********'

// Collects secret values (from variables and the become password) and masks them in any text.
export class Redactor {
  private readonly secrets = new Set<string>()

  // Also every secret learnt while running: decrypted vault values, rendered secret-named variables.
  constructor() {
    onRevealed((value) => this.add(value))
  }

  add(value: unknown): void {
    if (typeof value === 'number') return this.add(String(value))
    if (typeof value !== 'string' || value.length < 3) return
    this.secrets.add(value)
    // As it appears in a command line ("would run: …"): zx's bash quoting, and the body inside $'…'.
    const quoted = quote(value)
    this.secrets.add(quoted)
    if (quoted.startsWith("$'")) this.secrets.add(quoted.slice(2, -1))
  }

  addVars(vars: Vars): void {
    for (const [name, value] of Object.entries(vars)) if (SECRET_NAME.test(name)) this.add(value)
  }

  text(s: string): string {
    let out = s
    // Longest first, so a secret that contains another is masked whole.
    for (const secret of [...this.secrets].sort((a, b) => b.length - a.length)) out = out.split(secret).join(MASK)
    return out
  }

  // A deep copy with every string masked; events and the summary are plain data.
  value<T>(v: T): T {
    if (this.secrets.size === 0) return v
    if (typeof v === 'string') return this.text(v) as T
    if (Array.isArray(v)) return v.map((x) => this.value(x)) as T
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.value(x)])) as T
    return v
  }

  event(e: RunEvent): RunEvent {
    return this.value(e)
  }

  summary(s: RunSummary): RunSummary {
    return this.value(s)
  }
}
