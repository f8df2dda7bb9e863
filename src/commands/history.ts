import { basename } from 'node:path'
import { InputError } from '../errors.ts'
import { flag, helpLines, parseTable, whole } from '../option-table.ts'
import { formatDuration } from '../output/text.ts'
import { jsonText } from '../output/terminal-text.ts'
import { recordsPath } from '../records/path.ts'
import type { RunLine } from '../records/rows.ts'
import { NoRecordsError, openRecords, type Records } from '../records/store.ts'
import { localTime, print, READER_OPTIONS, selectedHosts } from './reader.ts'
import { VAULT_CONFLICTS } from './project.ts'

const OPTIONS = {
  limit: { ...READER_OPTIONS.limit, help: 'only runs that touched these hosts (Ansible pattern, resolved against the inventory)' },
  last: whole(['-n', '--last'], 'N', 'this many runs', 20),
  inventory: READER_OPTIONS.inventory,
  vaultIds: READER_OPTIONS.vaultIds,
  vaultPasswordFiles: READER_OPTIONS.vaultPasswordFiles,
  askVaultPass: READER_OPTIONS.askVaultPass,
  records: READER_OPTIONS.records,
  json: flag(['--json'], 'machine-readable: one JSON array'),
  help: READER_OPTIONS.help,
}

// `labplay history --help`.
export const HISTORY_USAGE = `usage: labplay history [-l PATTERN] [-n N] [--json] [-i INVENTORY] [--vault-id SOURCE] [--records PATH]

Recent runs, newest first, one line each: number, start (local time), duration, playbook, limit,
hosts by outcome, exit code, user. \`labplay show NUMBER\` tells one run host by host.

${helpLines(OPTIONS, 24)}`

// `labplay history …` → exit code; reads the record read-only.
export async function main(argv: string[]): Promise<number> {
  const { values: o, positionals } = parseTable(OPTIONS, argv, 'labplay history --help', VAULT_CONFLICTS)
  if (o.help) return print(HISTORY_USAGE)
  if (positionals.length) throw new InputError(`unexpected argument '${positionals[0]}' (see labplay history --help)`)
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
    const runs = records.runs(o.last, hosts)
    if (o.json) return print(jsonText(runs))
    if (!runs.length) return print(`no runs recorded${hosts ? ' for these hosts' : ''} in ${records.path}\n`)
    return print(runs.map(formatRun).join('\n') + '\n')
  } finally {
    records.close()
  }
}

// #12  2025-05-01 14:03:22  4.2s  site.yml  -l m5  hosts=18 ok=15 changed=2 failed=1 unreachable=0  exit=2  alice
// Plain text of the recorded row; print() escapes it on the way to the terminal.
export function formatRun(r: RunLine): string {
  const parts = [`#${r.id}`, localTime(r.startedAt), r.durationMs === null ? '-' : formatDuration(r.durationMs), basename(r.playbook)]
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
