import { chmod, realpath, stat } from 'node:fs/promises'
import { relative } from 'node:path'
import { InputError } from '../../errors.ts'
import { commitManifest } from '../../image/commit.ts'
import { readHistory } from '../../image/history.ts'
import { shadowedHosts } from '../../image/home.ts'
import { checkForPublish } from '../../image/qemu-img.ts'
import { stampedSha256, writeSourceStamp } from '../../image/source-stamp.ts'
import { flag, helpLines, onePositional, parseTable, text } from '../../option-table.ts'
import { formatBinaryBytes, formatBytes, plural } from '../../output/text.ts'
import { checkManifest, type ImageManifest } from '../../sdk/manifest.ts'
import { done, hashShown, HOME_OPTIONS, loadHome, publisher, refuseWriters, say, warn } from './common.ts'
import { VAULT_CONFLICTS } from '../project.ts'

const OPTIONS = {
  name: text(['--name'], 'NAME', "the image's name (letters, digits, '.', '_', '-'): the seats' file is NAME-VERSION.qcow2", { nonEmpty: true }),
  version: text(['--version'], 'VERSION', 'this version, new for NAME (same characters)', { nonEmpty: true }),
  ...HOME_OPTIONS,
  allowBacking: flag(['--allow-backing'], 'publish an image that has a backing file (vm-image refuses it on the seats)'),
  help: flag(['-h', '--help'], ''),
}

export const PUBLISH_USAGE = `usage: labplay image publish FILE --name NAME --version VERSION [--group GROUP] [-i INVENTORY]

Makes FILE the image of GROUP's seats. It must be a standalone qcow2 that passes qemu-img check and that no
process has open for writing; its sha256 is read with a progress bar (plain lines when stderr is not a
terminal), and a file that changes meanwhile is refused. The manifest (name, version, size, sha256, source)
is written atomically into the inventory's group_vars/GROUP/ (or group_vars/GROUP.yml, wherever image is
set), the rest of that file kept as it was; every earlier manifest stays in group_vars/.GROUP.image-history.yml.
FILE becomes read-only: edit a copy for the next version. \`labplay site.yml --stale\` then sends it.

${helpLines(OPTIONS, 28)}`

// `labplay image publish FILE …` → exit code.
export async function main(argv: string[]): Promise<number> {
  const { values: o, positionals } = parseTable(OPTIONS, argv, 'labplay image publish --help', VAULT_CONFLICTS)
  if (o.help) return done(PUBLISH_USAGE)
  const given = onePositional(positionals, 'image publish: which file? (labplay image publish FILE --name NAME --version VERSION)', 'image publish takes one file')
  if (!o.name || !o.version) throw new InputError(`image publish: give --name and --version (the seats' file is NAME-VERSION.qcow2)`)
  const file = await sourceFile(given)
  const early = checkManifest({ name: o.name, version: o.version, size: 1, sha256: '0'.repeat(64), source: file })
  if (!early.manifest) throw new InputError(early.problems.join('; '))

  const { home, reload } = await loadHome(o)
  const history = await readHistory(home.historyFile)
  const shown = relative(process.cwd(), home.file) || home.file
  // Published already, and unchanged since (its stamp): nothing to read again.
  const stamped = home.current?.source === file ? await stampedSha256(file) : undefined
  if (stamped && home.current && sameImage(home.current, { ...home.current, name: o.name, version: o.version, sha256: stamped })) {
    return done(`${o.name} ${o.version} is already the image of group ${home.group} (${shown}): nothing to do\n`)
  }
  refuseWriters(file, 'shut the VM down, or wait for the copy to finish, then publish')
  const { info, warnings } = await checkForPublish(file, o.allowBacking)
  warnings.forEach(warn)
  const hashed = await hashShown(file)
  const manifest: ImageManifest = { name: o.name, version: o.version, size: hashed.size, sha256: hashed.sha256, source: file }

  const clash = history.find((e) => e.image.name === o.name && e.image.version === o.version && e.image.sha256 !== hashed.sha256)
  if (clash) throw new InputError(`${o.name} ${o.version} was published on ${clash.at} by ${clash.by} with other bytes (sha256 ${clash.image.sha256.slice(0, 12)}…): give this image a new version`)
  if (home.current && sameImage(home.current, manifest)) return done(`${o.name} ${o.version} is already the image of group ${home.group} (${shown}): nothing to do\n`)

  const stampWarning = await writeSourceStamp(file, hashed.sha256, hashed.key)
  if (stampWarning) warn(stampWarning)
  await commitManifest(home, manifest, 'publish', publisher())
  await readOnly(file)
  const shadowed = shadowedHosts(await reload(), home, process.cwd())
  if (shadowed.length) {
    const { host, place } = shadowed[0]!
    warn(`${plural(shadowed.length, 'host')} of group ${home.group} take image from elsewhere and will not get this version (${host}: ${place.file}${place.line ? `:${place.line}` : ''})`)
  }
  const was = home.current ? ` (was ${home.current.version})` : ''
  say(`published ${o.name} ${o.version}${was} for group ${home.group} in ${shown}\n`)
  return done(`  ${formatBytes(manifest.size)} (${formatBinaryBytes(info.virtualSize)} virtual), sha256 ${manifest.sha256}\n  source ${file} (now read-only)\nnext: labplay site.yml --stale sends it to the seats that lack it\n`)
}

// The file as the manifest names it: absolute, links resolved (the seats get these bytes, not whatever a link
// points to later), a regular file.
async function sourceFile(given: string): Promise<string> {
  const file = await realpath(given).catch(() => {
    throw new InputError(`${given} does not exist`)
  })
  if (!(await stat(file)).isFile()) throw new InputError(`${given}: expected a disk image file`)
  return file
}

function sameImage(a: ImageManifest, b: ImageManifest): boolean {
  return a.name === b.name && a.version === b.version && a.sha256 === b.sha256 && a.size === b.size && a.source === b.source
}

// Published bytes are a reference: nobody writes to them again by mistake (root still can; `image edit` refuses).
async function readOnly(file: string): Promise<void> {
  try {
    await chmod(file, (await stat(file)).mode & 0o7555)
  } catch (err) {
    warn(`cannot make ${file} read-only (${(err as NodeJS.ErrnoException).code}): do not write to a published image`)
  }
}
