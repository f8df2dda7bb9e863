import { resolve } from 'node:path'
import { InputError } from '../errors.ts'
import { hostSelector } from '../inventory/recorded-hosts.ts'
import { seatVars } from '../inventory/rooms.ts'
import { helpLines, list, parseTable, text } from '../option-table.ts'
import { writeAtomic } from '../output/atomic.ts'
import { terminalText } from '../output/terminal-text.ts'
import { recordsPath } from '../records/path.ts'
import { openRecords } from '../records/store.ts'
import { readReport } from '../report/data.ts'
import { renderReport } from '../report/html.ts'
import { VAULT_CONFLICTS } from './project.ts'
import { print, READER_OPTIONS, readerInventory } from './reader.ts'

// Where the page goes without -o: the folder the admin is in.
export const DEFAULT_REPORT_FILE = 'labplay-report.html'

const OPTIONS = {
  limit: READER_OPTIONS.limit,
  inventory: list(['-i', '--inventory'], 'SRC', "inventory: its rooms, and -l's groups (repeatable; default a run's:\nansible.cfg's, else ./inventory, else /etc/ansible/hosts, else none)"),
  vaultIds: READER_OPTIONS.vaultIds,
  vaultPasswordFiles: READER_OPTIONS.vaultPasswordFiles,
  askVaultPass: READER_OPTIONS.askVaultPass,
  records: READER_OPTIONS.records,
  output: text(['-o', '--output'], 'FILE.html', 'where to write the page (default ./labplay-report.html)', { nonEmpty: true }),
  help: READER_OPTIONS.help,
}

// `labplay report --help`.
export const REPORT_USAGE = `usage: labplay report [-l PATTERN] [-i INVENTORY] [--vault-id SOURCE] [--records PATH] [-o FILE.html]

Writes one self-contained HTML page about the recorded runs: each room (an inventory group that lists
seats) as a block of seat tiles, in name order or at their seat_position ("row,col"), coloured by last
status, with badges for image behind, reboot pending and unreachable and a cell per role; then hosts
pending a reboot, hosts unreachable last time, image versions and the last runs. It opens anywhere,
with no network.

${helpLines(OPTIONS, 26)}`

// `labplay report …` → exit code. Reads the record read-only; writes the page atomically and prints its path.
export async function main(argv: string[]): Promise<number> {
  const { values: o, positionals } = parseTable(OPTIONS, argv, 'labplay report --help', VAULT_CONFLICTS)
  if (o.help) return print(REPORT_USAGE)
  if (positionals.length) throw new InputError(`unexpected argument '${positionals[0]}' (see labplay report --help)`)
  const cwd = process.cwd()
  const output = resolve(cwd, o.output ?? DEFAULT_REPORT_FILE)
  if (!/\.html?$/i.test(output)) throw new InputError(`-o ${o.output}: the report is an HTML page, name it FILE.html`)
  const inventory = await readerInventory(o, lockedOut)
  const records = openRecords(recordsPath({ records: o.records })!, { readonly: true })
  let html: string
  try {
    html = renderReport(readReport(records, {
      records: records.path,
      select: hostSelector(inventory, o.limit, cwd),
      ...(inventory ? { seats: (hosts: string[]) => seatVars(inventory, hosts) } : {}),
      ...(o.limit ? { pattern: o.limit } : {}),
    }))
  } finally {
    records.close()
  }
  try {
    await writeAtomic(output, html)
  } catch (err) {
    throw new InputError(`cannot write ${output}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  return print(`${output}\n`)
}

// A vars file no vault password given opens: the page is made without it, and the admin is told what that costs.
function lockedOut(why: InputError): void {
  process.stderr.write(terminalText(`[WARNING]: ${why.format()}; the report goes on without it (a seat_position in it is not used: those seats are placed by name)\n`))
}
