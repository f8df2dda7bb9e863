import { stat } from 'node:fs/promises'
import { relative } from 'node:path'
import { InputError } from '../../errors.ts'
import { commitManifest } from '../../image/commit.ts'
import { readHistory, versions, type HistoryEntry } from '../../image/history.ts'
import { coverage, hostNames } from '../../image/holdings.ts'
import { stampedSha256, writeSourceStamp } from '../../image/source-stamp.ts'
import { flag, helpLines, parseTable, text } from '../../option-table.ts'
import { terminalData } from '../../output/terminal-text.ts'
import { plural } from '../../output/text.ts'
import type { ImageManifest } from '../../sdk/manifest.ts'
import { READER_OPTIONS } from '../reader.ts'
import { done, hashShown, HOME_OPTIONS, loadHome, publisher, recordedHoldings, refuseWriters, say, warn } from './common.ts'
import { VAULT_CONFLICTS } from '../project.ts'

const OPTIONS = {
  to: text(['--to'], 'VERSION', 'the version to return to (default: the one published before the current one)', { nonEmpty: true }),
  ...HOME_OPTIONS,
  records: READER_OPTIONS.records,
  help: flag(['-h', '--help'], ''),
}

export const ROLLBACK_USAGE = `usage: labplay image rollback [--to VERSION] [--group GROUP] [-i INVENTORY] [--records PATH]

Makes an earlier published version GROUP's image again: VERSION, or the one published before the current
one. Its file must still be at its source with the size and sha256 it was published with: the stamp publish
left beside it says so while the file's size, mtime and inode are unchanged, else it is hashed again. Then
it says which seats still hold that version on disk (vm-image keeps images_keep versions) and so need no
transfer: \`labplay site.yml --stale\` links it there, and sends it only to the others.

${helpLines(OPTIONS, 24)}`

// `labplay image rollback …` → exit code.
export async function main(argv: string[]): Promise<number> {
  const { values: o, positionals } = parseTable(OPTIONS, argv, 'labplay image rollback --help', VAULT_CONFLICTS)
  if (o.help) return done(ROLLBACK_USAGE)
  if (positionals.length) throw new InputError(`unexpected argument '${positionals[0]}': give the version with --to`)
  const { home } = await loadHome(o)
  const history = await readHistory(home.historyFile)
  const target = pick(versions(history), home.current, o.to, home.historyFile)
  const image = target.image
  await mustStillBe(image)
  refuseWriters(image.source, 'it is a published image: nothing may write to it')
  await commitManifest(home, image, 'rollback', publisher())

  const shown = relative(process.cwd(), home.file) || home.file
  const seats = coverage(image.version, home.hosts, terminalData(recordedHoldings(o.records).holdings))
  say(`rolled back group ${home.group} to ${image.name} ${image.version}${home.current ? ` (was ${home.current.version})` : ''} in ${shown}\n`)
  if (seats.holding.length) say(`  ${plural(seats.holding.length, 'seat')} still hold ${image.version} and need no transfer: ${hostNames(seats.holding)}\n`)
  if (seats.lacking.length) say(`  ${plural(seats.lacking.length, 'seat')} will receive it: ${hostNames(seats.lacking.map((s) => s.host))}\n`)
  if (seats.unknown.length) say(`  ${plural(seats.unknown.length, 'seat')} with no image recorded: ${hostNames(seats.unknown)}\n`)
  return done('next: labplay site.yml --stale\n')
}

// --to's version, else the newest one that is not current.
function pick(published: HistoryEntry[], current: ImageManifest | undefined, to: string | undefined, file: string): HistoryEntry {
  if (!published.length) throw new InputError(`no version of this group's image was published with labplay (${file} is missing or empty): nothing to roll back to`)
  const isCurrent = (e: HistoryEntry) => current !== undefined && e.image.name === current.name && e.image.version === current.version && e.image.sha256 === current.sha256
  if (to === undefined) {
    const before = published.find((e) => !isCurrent(e))
    if (!before) throw new InputError(`only ${current?.version} was ever published: nothing to roll back to`)
    return before
  }
  const found = published.find((e) => e.image.version === to)
  if (!found) throw new InputError(`--to ${to}: not a published version (published: ${published.map((e) => e.image.version).join(', ')})`)
  if (isCurrent(found)) throw new InputError(`${found.image.name} ${to} is already the current image`)
  return found
}

// The version's file, byte for byte as it was published.
async function mustStillBe(image: ImageManifest): Promise<void> {
  const st = await stat(image.source).catch(() => undefined)
  if (!st?.isFile()) throw new InputError(`${image.name} ${image.version}: its file ${image.source} is gone: it cannot be sent again`)
  if (st.size !== image.size) throw new InputError(`${image.source} has ${st.size} bytes, ${image.name} ${image.version} had ${image.size}: it was changed after publishing`)
  if ((await stampedSha256(image.source)) === image.sha256) return say(`${image.source}: unchanged since it was hashed (its stamp)\n`)
  const { sha256, key } = await hashShown(image.source)
  if (sha256 !== image.sha256) throw new InputError(`${image.source} has sha256 ${sha256}, ${image.name} ${image.version} had ${image.sha256}: it was changed after publishing`)
  // The same bytes under a new key (a touch, a copy back): the next rollback trusts the stamp again.
  const stampWarning = await writeSourceStamp(image.source, sha256, key)
  if (stampWarning) warn(stampWarning)
}
