import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { InputError } from '../errors.ts'
import { writeAtomic } from '../output/atomic.ts'
import { recordsPath } from '../records/path.ts'
import { openRecords } from '../records/store.ts'
import { readReport } from './data.ts'
import { renderReport } from './html.ts'
import { hostSelector } from './select.ts'

export const REPORT_USAGE = `usage: labplay report [-l PATTERN] [-i INVENTORY] [--records PATH] [-o FILE.html]

Writes one self-contained HTML page about the recorded runs: the room (hosts × roles, coloured by
last status, with the time of the last success), image versions, hosts pending a reboot, hosts
unreachable last time, and the last runs. It opens anywhere, with no network.

  -l, --limit PATTERN     only these hosts (Ansible pattern, resolved against the inventory)
  -i, --inventory SRC     inventory for -l's groups (repeatable; default ./inventory when it exists)
      --records PATH      the run record (default $LABPLAY_RECORDS, else ~/.local/state/labplay/runs.db)
  -o, --output FILE.html  where to write the page (default ./labplay-report.html)
  -h, --help
`

export const DEFAULT_REPORT_FILE = 'labplay-report.html'

// `labplay report …` → exit code. Reads the record read-only; writes the page atomically and prints its path.
export async function main(argv: string[]): Promise<number> {
  const o = parse(argv)
  if (o.help) {
    process.stdout.write(REPORT_USAGE)
    return 0
  }
  const cwd = process.cwd()
  const output = resolve(cwd, o.output ?? DEFAULT_REPORT_FILE)
  if (!/\.html?$/i.test(output)) throw new InputError(`-o ${o.output}: the report is an HTML page, name it FILE.html`)
  const sources = o.inventory.length ? o.inventory : existsSync(resolve(cwd, 'inventory')) ? [resolve(cwd, 'inventory')] : []
  const inventory = sources.length ? await (await import('../inventory/index.ts')).loadInventory(sources, { cwd }) : undefined
  const records = openRecords(recordsPath({ records: o.records })!, { readonly: true })
  let html: string
  try {
    const data = readReport(records, {
      records: records.path,
      select: hostSelector(inventory, o.limit, cwd),
      ...(o.limit ? { pattern: o.limit } : {}),
    })
    html = renderReport(data)
  } finally {
    records.close()
  }
  try {
    await writeAtomic(output, html)
  } catch (err) {
    throw new InputError(`cannot write ${output}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  process.stdout.write(`${output}\n`)
  return 0
}

interface ReportOptions {
  limit?: string
  inventory: string[]
  records?: string
  output?: string
  help: boolean
}

function parse(argv: string[]): ReportOptions {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        limit: { type: 'string', short: 'l' },
        inventory: { type: 'string', short: 'i', multiple: true },
        records: { type: 'string' },
        output: { type: 'string', short: 'o' },
        help: { type: 'boolean', short: 'h' },
      },
    })
    if (positionals.length) throw new InputError(`unexpected argument '${positionals[0]}' (see labplay report --help)`)
    for (const key of ['limit', 'records', 'output'] as const) {
      if (values[key] === '') throw new InputError(`option --${key} needs a value`)
    }
    return {
      inventory: values.inventory ?? [],
      help: values.help ?? false,
      ...(values.limit !== undefined ? { limit: values.limit } : {}),
      ...(values.records !== undefined ? { records: values.records } : {}),
      ...(values.output !== undefined ? { output: values.output } : {}),
    }
  } catch (err) {
    if (err instanceof InputError) throw err
    const { code, message } = err as NodeJS.ErrnoException
    const unknown = code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /'([^']+)'/.exec(message)?.[1] : undefined
    if (unknown) throw new InputError(`unknown option '${unknown}' (see labplay report --help)`)
    // parseArgs's other messages ("Option '-l, --limit <value>' argument missing") are one line already.
    throw new InputError(`${(err as Error).message.split('\n')[0]} (see labplay report --help)`)
  }
}
