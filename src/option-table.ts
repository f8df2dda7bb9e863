import { InputError } from './errors.ts'

// One option of a command: its spellings, what it takes from argv, how its value is read (default and
// checks included) and its line in --help. A command's options are one table of these (src/options.ts).
export interface OptionSpec<T> {
  // '-l', '--limit': the first long spelling is the one messages name.
  readonly names: readonly string[]
  // nothing: a switch; value: the next word; maybe: the next word when `accepts` it.
  readonly takes: 'nothing' | 'value' | 'maybe'
  readonly accepts?: (next: string) => boolean
  // Every occurrence in argv, in order ('' for a switch) → the value: default, checks and all.
  readonly read: (given: string[], name: string) => T
  // The argument's name in --help (PATTERN); the left column when `label` does not replace it.
  readonly arg?: string
  readonly label?: string
  // The --help text; lines after the first are indented to the column. Undefined: not listed on its own.
  readonly help?: string
}

export type OptionTable = Record<string, OptionSpec<unknown>>

// What a table parses to: each key with its spec's value type.
export type Parsed<S extends OptionTable> = { -readonly [K in keyof S]: S[K] extends OptionSpec<infer T> ? T : never }

// Two options that cannot be given together, and what to say when they are.
export type Conflict<S extends OptionTable> = readonly [keyof S & string, keyof S & string, string]

export interface ParseResult<S extends OptionTable> {
  values: Parsed<S>
  positionals: string[]
  // The options argv gave (others hold their defaults): settings from elsewhere (ansible.cfg) fill in only those.
  given: Set<keyof S & string>
}

// A switch: true when given.
export function flag(names: readonly string[], help?: string, label?: string): OptionSpec<boolean> {
  return { names, takes: 'nothing', read: (given) => given.length > 0, help, label }
}

// Counted each time it is given (-v -v, -vv, --verbose).
export function counted(names: readonly string[], help: string, label: string): OptionSpec<number> {
  return { names, takes: 'nothing', read: (given) => given.length, help, label }
}

// A value; the last one given wins; undefined when not given. nonEmpty: an empty value is refused.
export function text(names: readonly string[], arg: string, help: string, opts: { nonEmpty?: boolean } = {}): OptionSpec<string | undefined> {
  return {
    names, takes: 'value', arg, help,
    read: (given, name) => {
      const value = given.at(-1)
      if (opts.nonEmpty && value === '') throw new InputError(`option ${name} needs a value`)
      return value
    },
  }
}

// Repeatable: every value, in order; `split` makes several of one (-t a,b).
export function list(names: readonly string[], arg: string, help: string, split: (value: string) => string[] = (v) => [v]): OptionSpec<string[]> {
  return { names, takes: 'value', arg, help, read: (given) => given.flatMap(split) }
}

// A whole number of at least 1 (and at most `max`, in `unit`); --help shows the default.
export function whole(names: readonly string[], arg: string, help: string, fallback: number, max?: { value: number; unit: string }): OptionSpec<number> {
  return {
    names, takes: 'value', arg, help: `${help} (default ${fallback})`,
    read: (given, name) => {
      const n = positiveInt(given.at(-1) ?? fallback, name)
      if (max && n > max.value) throw new InputError(`${name} '${n}': expected at most ${max.value} (${max.unit})`)
      return n
    },
  }
}

// One of a few words; the left column of --help lists them.
export function oneOf<W extends string>(names: readonly string[], words: readonly W[], fallback: W, help: string): OptionSpec<W> {
  return {
    names, takes: 'value', arg: words.join('|'), help,
    read: (given, name) => {
      const value = given.at(-1) ?? fallback
      if (!(words as readonly string[]).includes(value)) throw new InputError(`${name} '${value}': expected ${words.slice(0, -1).join(', ')} or ${words.at(-1)}`)
      return value as W
    },
  }
}

// A switch that takes the next word as its value when `accepts` it (--json [FILE.json|-]); `bare` when it does not.
export function maybeValue(names: readonly string[], accepts: (next: string) => boolean, bare: string, help: string, label: string): OptionSpec<string | undefined> {
  return { names, takes: 'maybe', accepts, help, label, read: (given) => (given.length ? given.at(-1) || bare : undefined) }
}

// argv → the table's values and the words that are no option. Unknown options, missing values, bad values
// and conflicts are InputErrors (exit 5); `seeHelp` ends the unknown-option message ("labplay --help").
export function parseTable<S extends OptionTable>(table: S, argv: string[], seeHelp: string, conflicts: ReadonlyArray<Conflict<S>> = []): ParseResult<S> {
  const byName = new Map<string, keyof S & string>()
  for (const [key, spec] of Object.entries(table)) for (const name of spec.names) byName.set(name, key)
  const given = new Map<keyof S & string, string[]>()
  const positionals: string[] = []
  const args = expand(argv, (name) => table[byName.get(name) ?? '']?.takes === 'value')
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg)
      continue
    }
    const key = byName.get(arg)
    if (key === undefined) throw new InputError(`unknown option '${arg}' (see ${seeHelp})`)
    const spec = table[key]!
    let value = ''
    if (spec.takes === 'value') {
      const next = args[++i]
      if (next === undefined) throw new InputError(`option ${arg} needs a value`)
      value = next
    } else if (spec.takes === 'maybe') {
      const next = args[i + 1]
      if (next !== undefined && spec.accepts?.(next)) value = args[++i]!
    }
    given.set(key, [...(given.get(key) ?? []), value])
  }
  const values = {} as Record<string, unknown>
  for (const [key, spec] of Object.entries(table)) values[key] = spec.read(given.get(key) ?? [], longName(spec))
  for (const [a, b, message] of conflicts) if (given.has(a) && given.has(b)) throw new InputError(message)
  return { values: values as Parsed<S>, positionals, given: new Set(given.keys()) }
}

// A subcommand's one positional argument: `missing` when there is none, `takes` (what the command takes one
// of) named when there are more.
export function onePositional(positionals: string[], missing: string, takes: string): string {
  const [given, ...extra] = positionals
  if (given === undefined) throw new InputError(missing)
  if (extra.length) throw new InputError(`unexpected argument '${extra[0]}': ${takes}`)
  return given
}

// The table's --help lines, in table order: the spellings, then the text from `column` on (or two spaces after).
export function helpLines(table: OptionTable, column: number): string {
  const lines: string[] = []
  for (const spec of Object.values(table)) {
    if (spec.help === undefined) continue
    const short = spec.names.find((n) => !n.startsWith('--'))
    const left = `  ${spec.label ?? `${short ? `${short}, ` : '    '}${longName(spec)}${spec.arg ? ` ${spec.arg}` : ''}`}`
    const [first, ...more] = spec.help.split('\n')
    lines.push(first ? `${left.length <= column - 2 ? left.padEnd(column) : `${left}  `}${first}` : left, ...more.map((l) => `${' '.repeat(column)}${l}`))
  }
  return `${lines.join('\n')}\n`
}

// -vvv → -v -v -v, -Cl x → -C -l x, --opt=value → --opt value.
function expand(argv: string[], takesValue: (name: string) => boolean): string[] {
  const out: string[] = []
  for (const arg of argv) {
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1
    if (eq > 0) out.push(arg.slice(0, eq), arg.slice(eq + 1))
    else if (/^-[a-zA-Z]{2,}$/.test(arg)) {
      const letters = arg.slice(1)
      let j = 0
      for (; j < letters.length; j++) {
        out.push(`-${letters[j]}`)
        if (takesValue(`-${letters[j]}`)) break
      }
      if (j < letters.length - 1) out.push(letters.slice(j + 1))
    } else out.push(arg)
  }
  return out
}

function longName(spec: OptionSpec<unknown>): string {
  return spec.names.find((n) => n.startsWith('--')) ?? spec.names[0]!
}

function positiveInt(value: unknown, name: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new InputError(`${name} '${String(value)}': expected a whole number of at least 1`)
  return n
}
