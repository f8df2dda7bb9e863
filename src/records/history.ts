import { basename } from 'node:path'
import { InputError } from '../errors.ts'
import { count, duration, localTime, parseReader, selectedHosts } from './args.ts'
import { recordsPath } from './path.ts'
import type { RunLine } from './rows.ts'
import { NoRecordsError, openRecords, type Records } from './store.ts'
import { jsonText, terminalData } from '../output/terminal-text.ts'

export const HISTORY_USAGE = `usage: labplay history [-l PATTERN] [-n N] [--json] [-i INVENTORY] [--records PATH]

Recent runs, newest first, one line each: number, start (local time), duration, playbook, limit,
hosts by outcome, exit code, user. \`labplay show NUMBER\` tells one run host by host.

  -l, --limit PATTERN   only runs that touched these hosts (Ansible pattern, resolved against the inventory)
  -n, --last N          this many runs (default ${20})
  -i, --inventory SRC   inventory for -l's groups (repeatable; default ./inventory when it exists)
      --records PATH    the run record (default $LABPLAY_RECORDS, else ~/.local/state/labplay/runs.db)
      --json            machine-readable: one JSON array
  -h, --help
`

// `labplay history …` → exit code; reads the record read-only.
export async function main(argv: string[]): Promise<number> {
  const o = parseReader('history', argv, { last: { type: 'string', short: 'n' } })
  if (o.help) return print(HISTORY_USAGE)
  if (o.positionals.length) throw new InputError(`unexpected argument '${o.positionals[0]}' (see labplay history --help)`)
  const last = count(o.values.last, '--last', 20)
  const path = recordsPath({ records: o.records })!
  let records: Records
  try {
    records = openRecords(path, { readonly: true })
  } catch (err) {
    // No record yet is an empty history, not an error.
    if (err instanceof NoRecordsError) return o.json ? print('[]\n') : print(`${err.message}\n`)
    throw err
  }
  try {
    const hosts = await selectedHosts(o, records.hostNames())
    const runs = records.runs(last, hosts)
    if (o.json) return print(jsonText(runs))
    if (!runs.length) return print(`no runs recorded${hosts ? ' for these hosts' : ''} in ${records.path}\n`)
    return print(runs.map(formatRun).join('\n') + '\n')
  } finally {
    records.close()
  }
}

// #12  2025-05-01 14:03:22  4.2s  site.yml  -l m5  hosts=18 ok=15 changed=2 failed=1 unreachable=0  exit=2  alice
// The recorded row crosses terminalData here, where it becomes text.
export function formatRun(line: RunLine): string {
  const r = terminalData(line)
  const parts = [`#${r.id}`, localTime(r.startedAt), r.durationMs === null ? '-' : duration(r.durationMs), basename(r.playbook)]
  if (r.limit) parts.push(`-l ${r.limit}`)
  if (r.tags) parts.push(`-t ${r.tags}`)
  if (r.check) parts.push('check')
  if (r.endedAt === null) {
    parts.push('not finished (killed, or the controller went down)')
  } else {
    const counts = `hosts=${r.hosts} ok=${r.ok} changed=${r.changed} failed=${r.failed} unreachable=${r.unreachable}`
    parts.push(r.interrupted ? `${counts} interrupted=${r.interrupted}` : counts)
    parts.push(r.exitCode === 99 ? 'exit=99 (interrupted)' : `exit=${r.exitCode}`)
  }
  parts.push(r.user)
  return parts.join('  ')
}

function print(text: string): number {
  process.stdout.write(text)
  return 0
}
