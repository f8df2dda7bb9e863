import { basename } from 'node:path'
import { InputError } from '../errors.ts'
import { flag, helpLines, onePositional, parseTable } from '../option-table.ts'
import { fit, formatDuration, oneLine, taskLabel } from '../output/text.ts'
import { jsonText } from '../output/terminal-text.ts'
import { recordsPath } from '../records/path.ts'
import type { RunDetail } from '../records/rows.ts'
import { openRecords } from '../records/store.ts'
import { exitMeaning, localTime, print, READER_OPTIONS, selectedHosts } from './reader.ts'
import { VAULT_CONFLICTS } from './project.ts'

const OPTIONS = {
  limit: READER_OPTIONS.limit,
  diff: flag(['-D', '--diff'], 'the recorded diff of every changed file (runs made with -D)'),
  inventory: READER_OPTIONS.inventory,
  vaultIds: READER_OPTIONS.vaultIds,
  vaultPasswordFiles: READER_OPTIONS.vaultPasswordFiles,
  askVaultPass: READER_OPTIONS.askVaultPass,
  records: READER_OPTIONS.records,
  json: flag(['--json'], 'machine-readable: one JSON object'),
  help: READER_OPTIONS.help,
}

// `labplay show --help`.
export const SHOW_USAGE = `usage: labplay show RUN [-l PATTERN] [-D] [--json] [-i INVENTORY] [--vault-id SOURCE] [--records PATH]

One recorded run: its command line, user, times and exit code, then each host (failed and
unreachable first) with its tasks: status, duration, message. RUN is a number from
\`labplay history\`, or \`last\` (the newest run; with -l, the newest that touched those hosts).

${helpLines(OPTIONS, 24)}`

// Host statuses, worst first.
const ORDER: Record<string, number> = { failed: 0, unreachable: 1, interrupted: 2, changed: 3, ok: 4 }

// `labplay show RUN …` → exit code; reads the record read-only.
export async function main(argv: string[]): Promise<number> {
  const { values: o, positionals } = parseTable(OPTIONS, argv, 'labplay show --help', VAULT_CONFLICTS)
  if (o.help) return print(SHOW_USAGE)
  const which = onePositional(positionals, "show: which run? give its number (see labplay history) or 'last'", 'labplay show takes one run')
  if (which !== 'last' && !/^[1-9][0-9]{0,15}$/.test(which)) throw new InputError(`run '${which}': expected a run number (see labplay history) or 'last'`)
  const records = openRecords(recordsPath({ records: o.records })!, { readonly: true })
  try {
    const hosts = await selectedHosts(o, records.hostNames())
    const id = which === 'last' ? records.lastRunId(hosts) : Number(which)
    const found = id === undefined ? undefined : records.run(id, hosts)
    if (!found) throw new InputError(which === 'last' ? `no runs recorded${hosts ? ' for these hosts' : ''} in ${records.path}` : `run #${which} is not in the record at ${records.path}`)
    const run = worstFirst(found)
    return print(o.json ? jsonText(run) : formatRun(run, o.diff))
  } finally {
    records.close()
  }
}

// Worst first (then in run order): what the admin has to act on comes at the top.
export function worstFirst(run: RunDetail): RunDetail {
  const sorted = run.hosts.map((h, i) => ({ h, i })).sort((a, b) => (ORDER[a.h.status] ?? 5) - (ORDER[b.h.status] ?? 5) || a.i - b.i)
  return { ...run, hosts: sorted.map(({ h }) => h) }
}

// Plain text of the recorded rows; print() escapes it on the way to the terminal (a seat's bytes are shown, never obeyed).
export function formatRun(r: RunDetail, diff: boolean): string {
  const lines = [
    `run #${r.id}  ${basename(r.playbook)}${r.check ? '  (check mode)' : ''}`,
    `  playbook  ${r.playbook}`,
    `  command   ${r.command}`,
    `  user      ${r.user}`,
    `  started   ${localTime(r.startedAt)}`,
    `  ended     ${r.endedAt ? `${localTime(r.endedAt)} (${formatDuration(Date.parse(r.endedAt) - Date.parse(r.startedAt))})` : 'never: the run did not finish (killed, or the controller went down)'}`,
    `  exit      ${r.exitCode ?? '-'} (${exitMeaning(r.exitCode)})`,
  ]
  if (r.endedAt && !r.hosts.length) lines.push('', 'no host of this run matches')
  for (const h of r.hosts) {
    lines.push('', `${h.host}  ${h.status}  ok=${h.ok} changed=${h.changed} unreachable=${h.unreachable} failed=${h.failed} skipped=${h.skipped}`)
    if (h.message && (h.status === 'failed' || h.status === 'unreachable')) lines.push(`  => ${brief(h.message)}`)
    for (const t of h.tasks) {
      const name = taskLabel({ role: t.role, name: t.task })
      lines.push(`  ${t.status.padEnd(11)} ${formatDuration(t.durationMs).padStart(7)}  ${name}${t.message ? ` => ${brief(t.message)}` : ''}`)
      if (diff && t.diff) lines.push(...t.diff.replace(/\n$/, '').split('\n').map((l) => `      ${l}`))
    }
  }
  return `${lines.join('\n')}\n`
}

// A recorded message on one line, cut at 300 characters (--json gives it whole).
const brief = (text: string): string => fit(oneLine(text), 300)
