import type { RoleSelect, Selection } from '../engine/role-selection.ts'
import { InputError } from '../errors.ts'
import { SECRET_NAME } from '../vars.ts'
import type { RoleState } from './rows.ts'
import { NoRecordsError, openRecords } from './store.ts'

// `--stale`: a role reruns on a host only when something it depends on changed there since it last
// succeeded (kernel, image manifest, variables, its own code), or when it never succeeded or last failed.
// The verdict always says why, so an admin can trust the skips.

// What the verdict reads of a role's row on a host.
export type RoleRecord = Pick<RoleState, 'lastStatus' | 'lastRunId' | 'successRunId' | 'successAt' | 'successInputs'>

// Outcomes after which a role runs again whatever its inputs: it did not finish its work last time.
const UNFINISHED = new Set(['failed', 'unreachable', 'interrupted'])

// Human names for inputs roles declare; any other key is shown as it is named.
const LABELS: Record<string, string> = { kernel: 'kernel', newestKernel: 'newest installed kernel' }

// Variable names listed in a reason before "…": a reason stays one short line.
const MAX_NAMES = 5

// The rules, in order: never succeeded → run; last outcome unfinished → run; inputs changed → run, saying
// what; else skip, naming the success it relies on. `now` only decides how the time is written.
export function decide(record: RoleRecord | undefined, inputs: Record<string, unknown>, now = new Date()): Selection {
  if (!record || record.successRunId === null) return { run: true, reason: 'never succeeded here' }
  if (UNFINISHED.has(record.lastStatus)) return { run: true, reason: `last run ${record.lastStatus} (run #${record.lastRunId})` }
  const before = parse(record.successInputs)
  if (!before || typeof before.code !== 'string' || !isObject(before.vars)) {
    return { run: true, reason: `inputs of the last success not recorded (run #${record.successRunId})` }
  }
  const changed = changes(before, inputs)
  if (changed.length) return { run: true, reason: changed.join('; ') }
  const when = record.successAt ? ` (${formatWhen(record.successAt, now)})` : ''
  return { run: false, reason: `unchanged since run #${record.successRunId}${when}` }
}

// What differs between two sets of inputs, most telling first: the role's own inputs (kernel…), image-like
// variables (an object with a version), other variables by name only, then the role's code. Empty: equal.
export function changes(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const out: string[] = []
  const seen = new Set<string>()
  for (const key of union(after, before)) {
    if (key === 'code' || key === 'vars' || same(before[key], after[key])) continue
    const label = LABELS[key] ?? key
    if (isScalar(before[key]) && isScalar(after[key]) && !SECRET_NAME.test(key)) {
      // A new kernel usually changes "running" and "newest installed" alike: say it once.
      const pair = `${show(before[key])} → ${show(after[key])}`
      if (!seen.has(pair)) out.push(`${label} ${pair}`)
      seen.add(pair)
    } else {
      out.push(`${label} changed`)
    }
  }
  const varsBefore = isObject(before.vars) ? before.vars : {}
  const varsAfter = isObject(after.vars) ? after.vars : {}
  const names: string[] = []
  for (const name of union(varsAfter, varsBefore)) {
    const [a, b] = [varsBefore[name], varsAfter[name]]
    if (same(a, b)) continue
    const versions = !SECRET_NAME.test(name) ? [versionOf(a), versionOf(b)] : []
    if (versions[0] !== undefined && versions[1] !== undefined && versions[0] !== versions[1]) out.push(`${name} ${versions[0]} → ${versions[1]}`)
    else names.push(name)
  }
  if (names.length) {
    names.sort()
    const listed = names.length > MAX_NAMES ? [...names.slice(0, MAX_NAMES), `… (${names.length} in all)`] : names
    out.push(`variables changed: ${listed.join(', ')}`)
  }
  if (before.code !== after.code) out.push('role code changed')
  if (out.length === 0 && !same(before, after)) out.push('inputs changed')
  return out
}

// A manifest-like variable's identity: `<name>-<version>` (or the version alone when it has no name).
function versionOf(v: unknown): string | undefined {
  if (!isObject(v) || !isScalar(v.version) || v.version === null || v.version === '') return undefined
  return typeof v.name === 'string' && v.name ? `${v.name}-${String(v.version)}` : String(v.version)
}

// Today: the time only; another day: the date too. Local time, as the admin reads a clock.
export function formatWhen(iso: string, now = new Date()): string {
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  const pad = (n: number) => String(n).padStart(2, '0')
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}`
  if (d.toDateString() === now.toDateString()) return time
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`
}

// The `select` of RunOptions for `--stale`, from the run record at `path` (the options refuse --stale with
// --no-records). The role_state table is read once, up front, and the file closed: a room of 250 hosts × 5
// roles is a few hundred rows, and the run's own recorder then has the file to itself. Throws InputError before any host.
export function staleSelector(path: string, now = new Date()): RoleSelect {
  const rows = new Map<string, RoleRecord>()
  let records
  try {
    records = openRecords(path, { readonly: true })
  } catch (err) {
    if (err instanceof NoRecordsError) throw new InputError(`--stale: no runs recorded yet at ${path} (run the playbook once without --stale)`)
    if (err instanceof InputError) throw err
    throw new InputError(`--stale: cannot read the run record ${path}: ${err instanceof Error ? err.message : String(err)}`)
  }
  try {
    for (const { host, role, ...record } of records.roleStates()) rows.set(`${host}\0${role}`, record)
  } catch (err) {
    throw new InputError(`--stale: cannot read the run record ${path}: ${err instanceof Error ? err.message : String(err)}`)
  } finally {
    records.close()
  }
  return (host, role, inputs) => decide(rows.get(`${host}\0${role}`), inputs, now)
}

function parse(text: string | null): Record<string, unknown> | undefined {
  if (!text) return undefined
  try {
    const v = JSON.parse(text) as unknown
    return isObject(v) ? v : undefined
  } catch {
    return undefined
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function isScalar(v: unknown): v is string | number | boolean | null | undefined {
  return v === null || v === undefined || ['string', 'number', 'boolean'].includes(typeof v)
}

function show(v: unknown): string {
  return v === undefined || v === null || v === '' ? 'none' : String(v)
}

function union(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])]
}

// Deep equality of JSON values, key order ignored (the record's JSON and this run's may order keys differently).
function same(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b)
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`
  if (isObject(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`
  return JSON.stringify(v) ?? 'null'
}
