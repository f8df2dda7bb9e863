import { relative } from 'node:path'
import { InputError } from '../../errors.ts'
import { readHistory, versions, type HistoryAction } from '../../image/history.ts'
import { coverage, hostNames, type Coverage } from '../../image/holdings.ts'
import { hostSelector } from '../../inventory/recorded-hosts.ts'
import { flag, helpLines, parseTable } from '../../option-table.ts'
import { jsonText } from '../../output/terminal-text.ts'
import { formatBytes, plural } from '../../output/text.ts'
import type { ImageManifest } from '../../sdk/manifest.ts'
import { localTime, READER_OPTIONS } from '../reader.ts'
import { done, HOME_OPTIONS, loadHome, recordedHoldings } from './common.ts'
import { VAULT_CONFLICTS } from '../project.ts'

const OPTIONS = {
  limit: { ...READER_OPTIONS.limit, help: "only these of the group's seats (Ansible pattern)" },
  json: flag(['--json'], 'machine-readable: one JSON object'),
  ...HOME_OPTIONS,
  records: READER_OPTIONS.records,
  help: flag(['-h', '--help'], ''),
}

export const LIST_USAGE = `usage: labplay image list [--group GROUP] [-l PATTERN] [--json] [-i INVENTORY] [--records PATH]

The versions of GROUP's image that were published (group_vars/.GROUP.image-history.yml), newest first, the
current one marked *; for each, the seats whose disk holds it as their last run recorded it (vm-image keeps
images_keep versions), then the seats that lack the current version.

${helpLines(OPTIONS, 28)}`

// One published version as listed.
export interface ListedVersion {
  image: ImageManifest
  current: boolean
  // How its latest entry came (found: in group_vars before labplay kept a history; null: written by hand since).
  action: HistoryAction | null
  // The latest publish or rollback of it (none for a manifest written by hand).
  publishedAt: string | null
  publishedBy: string | null
  seats: string[]
}

export interface Listing {
  group: string
  file: string
  seats: number
  versions: ListedVersion[]
  // The group's seats without the current version, with the version they run (null: never reported).
  lacking: Array<{ host: string; current: string | null }>
  unknown: string[]
  records: string | null
}

// `labplay image list …` → exit code; reads the inventory, the history and the run record, writes nothing.
export async function main(argv: string[]): Promise<number> {
  const { values: o, positionals } = parseTable(OPTIONS, argv, 'labplay image list --help', VAULT_CONFLICTS)
  if (o.help) return done(LIST_USAGE)
  if (positionals.length) throw new InputError(`unexpected argument '${positionals[0]}' (see labplay image list --help)`)
  const cwd = process.cwd()
  const { inventory, home } = await loadHome(o, cwd)
  const history = await readHistory(home.historyFile)
  const { holdings, path } = recordedHoldings(o.records)
  const limited = o.limit ? new Set(hostSelector(inventory, o.limit, cwd)(holdings.map((h) => h.host))) : undefined
  const seats = home.hosts.filter((h) => !limited || limited.has(h))
  const listed: ListedVersion[] = versions(history).map((e) => ({ image: e.image, current: same(e.image, home.current), action: e.action, publishedAt: e.at, publishedBy: e.by, seats: [] }))
  if (home.current && !listed.some((v) => v.current)) listed.unshift({ image: home.current, current: true, action: null, publishedAt: null, publishedBy: null, seats: [] })
  for (const v of listed) v.seats = coverage(v.image.version, seats, holdings).holding
  const now: Coverage | undefined = home.current ? coverage(home.current.version, seats, holdings) : undefined
  const listing: Listing = {
    group: home.group,
    file: relative(cwd, home.file) || home.file,
    seats: seats.length,
    versions: listed,
    lacking: now?.lacking ?? [],
    unknown: now?.unknown ?? (holdings.length ? [] : seats),
    records: path,
  }
  // done() passes the text through the terminal boundary once.
  return done(o.json ? jsonText(listing) : formatListing(listing))
}

function same(a: ImageManifest, b: ImageManifest | undefined): boolean {
  return b !== undefined && a.name === b.name && a.version === b.version && a.sha256 === b.sha256
}

// win11-lab for group all (inventory/group_vars/all.yml), 18 seats
//   version   published            by     size     seats holding it
// * 2026.12   2026-12-05 10:03:22  alice  17.2 GB  15: m5-01, …
export function formatListing(l: Listing): string {
  const name = l.versions[0]?.image.name
  const lines = [`${name ?? 'no image'} for group ${l.group} (${l.file}), ${plural(l.seats, 'seat')}`]
  if (!l.versions.length) return `${lines[0]}\nno version published yet: labplay image publish FILE --name NAME --version VERSION\n`
  const rows = l.versions.map((v) => [
    v.current ? '*' : ' ', v.image.name === name ? v.image.version : `${v.image.name} ${v.image.version}`,
    v.publishedAt ? `${localTime(v.publishedAt)}${v.action === 'found' ? ' (found)' : ''}` : 'by hand', v.publishedBy ?? '-', formatBytes(v.image.size),
    v.seats.length ? `${v.seats.length}: ${hostNames(v.seats)}` : '0',
  ])
  const table = [['', 'version', 'published', 'by', 'size', 'seats holding it'], ...rows]
  const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)))
  lines.push(...table.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd()))
  const current = l.versions.find((v) => v.current)
  if (current && l.lacking.length) {
    const named = l.lacking.map((s) => `${s.host}${s.current ? ` (${s.current})` : ''}`)
    lines.push(`lacking ${current.image.version}: ${plural(l.lacking.length, 'seat')}: ${hostNames(named)} (labplay site.yml --stale sends it)`)
  }
  if (l.unknown.length) lines.push(`no image recorded${l.records ? '' : ' (no run recorded yet)'}: ${plural(l.unknown.length, 'seat')}: ${hostNames(l.unknown)}`)
  return `${lines.join('\n')}\n`
}
