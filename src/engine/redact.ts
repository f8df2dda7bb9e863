import { Document } from 'yaml'
import { onRenderedVar, onRevealed } from '../revealed.ts'
import { quote } from '../sdk/quote.ts'
import type { FileDiff } from '../sdk/primitives/types.ts'
import { SECRET_NAME, type Vars } from '../vars.ts'
import type { RunEvent, RunSummary } from './events.ts'

// What a secret becomes wherever it would show.
export const MASK = '********'
// What replaces the diff of a file that holds a secret, or that a task wrote after reading a secret-named variable.
export const SECRET_DIFF = 'diff hidden: contains a secret'

// Values shorter than this are masked by name only (`db_password=ab`): found by value, "ab" would be cut out
// of every word that holds it.
const BY_VALUE_MIN = 3

// The ways a value is written where it may show: as is, in a command (zx's bash quoting and the body of
// $'…'), in JSON (JSON.stringify's escapes, and \u escapes for non-ASCII as Python writes them), in YAML
// (double- and single-quoted) and in a URL.
function writtenForms(value: string): string[] {
  const forms = [value]
  const quoted = quote(value)
  forms.push(quoted)
  if (quoted.startsWith("$'")) forms.push(quoted.slice(2, -1))
  const json = JSON.stringify(value).slice(1, -1)
  const ascii = json.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
  forms.push(json, ascii, ascii.replace(/\\u([0-9a-f]{4})/g, (_, hex: string) => `\\u${hex.toUpperCase()}`))
  forms.push(new Document(value).toString({ defaultStringType: 'QUOTE_DOUBLE', lineWidth: 0 }).trim().slice(1, -1))
  forms.push(value.replace(/'/g, "''"), encodeURIComponent(value))
  return forms
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

// Collects secret values (secret-named variables, the become password) and masks them in any text: by value
// in every written form, and by name where text says `name=value`, `name: value` or `"name": "value"`.
export class Redactor {
  private readonly secrets = new Set<string>()
  private readonly names = new Set<string>()
  private byLength: string[] = []
  private byName?: RegExp

  // Also every secret learnt while running: decrypted vault values, rendered secret-named variables.
  constructor() {
    onRevealed((value) => this.add(value))
    onRenderedVar((name, value) => this.addVars({ [name]: value }))
  }

  add(value: unknown): void {
    if (typeof value === 'number') return this.add(String(value))
    if (typeof value !== 'string' || value.length < BY_VALUE_MIN) return
    for (const form of writtenForms(value)) if (form.length >= BY_VALUE_MIN) this.secrets.add(form)
    // Longest first, so a secret that contains another is masked whole.
    this.byLength = [...this.secrets].sort((a, b) => b.length - a.length)
  }

  // Every value under a secret-named key, at any depth (`db: { password: … }` too). Only plain data is walked:
  // an object of a class (a still-encrypted vault value) is not a value yet; it is learnt when revealed.
  addVars(vars: Vars): void {
    const walk = (value: unknown, secret: boolean): void => {
      if (secret && typeof value !== 'object') return this.add(value)
      if (Array.isArray(value)) return value.forEach((v) => walk(v, secret))
      if (value && typeof value === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(value))) {
        for (const [name, v] of Object.entries(value)) {
          const named = SECRET_NAME.test(name)
          if (named && !this.names.has(name)) {
            this.names.add(name)
            this.byName = undefined
          }
          walk(v, secret || named)
        }
      }
    }
    walk(vars, false)
  }

  text(s: string): string {
    let out = s
    for (const secret of this.byLength) if (out.includes(secret)) out = out.split(secret).join(MASK)
    const byName = this.nameRule()
    return byName ? out.replace(byName, (all: string, head: string, value: string) => (assigned(head, value) ? `${head}${maskedLike(value)}` : all)) : out
  }

  // Whether text holds a secret: a value in any written form, or a secret-named variable's `name=value`.
  holds(text: string): boolean {
    if (this.byLength.some((secret) => text.includes(secret))) return true
    const byName = this.nameRule()
    return byName !== undefined && [...text.matchAll(byName)].some((m) => assigned(m[1]!, m[2]!))
  }

  // A deep copy with every string masked; events and the summary are plain data.
  value<T>(v: T): T {
    if (this.secrets.size === 0 && this.names.size === 0) return v
    if (typeof v === 'string') return this.text(v) as T
    if (Array.isArray(v)) return v.map((x) => this.value(x)) as T
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.value(x)])) as T
    return v
  }

  // What --diff shows of a file change (masked later with the event that carries it): the diff, or SECRET_DIFF when
  // either side holds a secret or the task that made it read a secret-named variable (an old password after a rotation).
  diff(change: FileDiff, taskReadSecret: boolean): string {
    if (!taskReadSecret && !change.sides.some((side) => this.holds(side))) return change.text
    return `--- before${change.path}\n+++ after${change.path}\n${SECRET_DIFF}\n`
  }

  event(e: RunEvent): RunEvent {
    return this.value(e)
  }

  summary(s: RunSummary): RunSummary {
    return this.value(s)
  }

  // `name=`, `name: `, `"name": ` then a value: quoted (to its closing quote) or bare (to a space, quote, `,;&})]`).
  private nameRule(): RegExp | undefined {
    if (this.names.size === 0) return undefined
    const names = [...this.names].map(escapeRegExp).join('|')
    this.byName ??= new RegExp(`((?<![\\w$])(?:${names})["']?[ \\t]*[=:][ \\t]*)("(?:[^"\\\\\\n]|\\\\.)*"|'[^'\\n]*'|[^\\s"',;&})\\]]+)`, 'g')
    this.byName.lastIndex = 0
    return this.byName
  }
}

// Whether `name` then `value` assign the value, so it is masked whatever it is (an old password too). A quoted
// name is a key of JSON, YAML or Python data: its value is quoted, or a number, true, false or null; a bare word
// after it is prose (labplay's own "variable 'db_password': no vault password given…"), and so is
// "db_password: expected one line".
function assigned(head: string, value: string): boolean {
  // labplay's own messages say "name: expected …, got …" (STYLE.md): that word is never a value.
  if (value === 'expected' && /:[ \t]*$/.test(head)) return false
  if (!/^[^=:]*["'][ \t]*[=:]/.test(head) || value[0] === '"' || value[0] === "'") return true
  return /^(-?[0-9][0-9.eE+-]*|true|false|null)$/.test(value)
}

// A masked value keeps its quotes, so masked JSON and YAML stay readable.
function maskedLike(value: string): string {
  const q = value[0]
  return q === '"' || q === "'" ? `${q}${MASK}${q}` : MASK
}
