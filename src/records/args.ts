import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { InputError } from '../errors.ts'
import type { Inventory } from '../inventory/index.ts'
import { hostSelector } from '../report/select.ts'

// Options every reader of the run record takes (history, show): -l, -i, --records, --json, -h.
export interface ReaderOptions {
  limit?: string
  inventory: string[]
  records?: string
  json: boolean
  help: boolean
  values: Record<string, string | boolean | string[] | undefined>
  positionals: string[]
}

const COMMON: NonNullable<ParseArgsConfig['options']> = {
  limit: { type: 'string', short: 'l' },
  inventory: { type: 'string', short: 'i', multiple: true },
  records: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
}

// node:util parseArgs with the common options plus the command's own; its errors become InputError (exit 5).
export function parseReader(command: string, argv: string[], own: NonNullable<ParseArgsConfig['options']>): ReaderOptions {
  try {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { ...COMMON, ...own } })
    const v = values as ReaderOptions['values']
    for (const key of ['limit', 'records']) if (v[key] === '') throw new InputError(`option --${key} needs a value`)
    return {
      inventory: (v.inventory as string[] | undefined) ?? [],
      json: v.json === true,
      help: v.help === true,
      values: v,
      positionals,
      ...(typeof v.limit === 'string' ? { limit: v.limit } : {}),
      ...(typeof v.records === 'string' ? { records: v.records } : {}),
    }
  } catch (err) {
    if (err instanceof InputError) throw err
    // parseArgs's messages are one line already ("Unknown option '--x'…"): keep their first line.
    throw new InputError(`${(err as Error).message.split('\n')[0]} (see labplay ${command} --help)`)
  }
}

// -l as a run means it (groups, globs, ~regex, !exclusions, @file), against the inventory (-i, else
// ./inventory when it exists); hosts the inventory no longer lists still match by name or glob.
// Without -l: undefined (every host).
export async function selectedHosts(o: ReaderOptions, recorded: string[]): Promise<Set<string> | undefined> {
  if (!o.limit) return undefined
  const cwd = process.cwd()
  const sources = o.inventory.length ? o.inventory : existsSync(resolve(cwd, 'inventory')) ? [resolve(cwd, 'inventory')] : []
  let inventory: Inventory | undefined
  if (sources.length) inventory = await (await import('../inventory/index.ts')).loadInventory(sources, { cwd })
  return new Set(hostSelector(inventory, o.limit, cwd)(recorded))
}

// A positive whole number option (-n 20).
export function count(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new InputError(`${name} '${String(value)}': expected a whole number of at least 1`)
  return n
}

// Local time, to the second, as people read it in a terminal: 2025-05-01 14:03:22.
export function localTime(iso: string): string {
  const d = new Date(iso)
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
}

// Durations as the recap prints them (850ms, 4.2s, 3m05s, 1h02m).
export { formatDuration as duration } from '../output/text.ts'

// What an exit code meant, as the README lists them.
export function exitMeaning(code: number | null): string {
  if (code === null) return 'not finished (killed, or the controller went down)'
  return ({ 0: 'every host ok', 2: 'a host failed', 4: 'a host unreachable', 5: 'bad input', 99: 'interrupted' } as Record<number, string>)[code] ?? 'error'
}
