import { open, rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { InputError } from '../../errors.ts'
import { copyImage, createImage, imageInfo } from '../../image/qemu-img.ts'
import { flag, helpLines, onePositional, parseTable, text } from '../../option-table.ts'
import { formatBinaryBytes } from '../../output/text.ts'
import { isImageName } from '../../sdk/manifest.ts'
import { done } from './common.ts'

const OPTIONS = {
  size: text(['--size'], 'SIZE', 'the virtual disk size, as qemu-img reads it: 60G, 512M', { nonEmpty: true }),
  from: text(['--from'], 'FILE', 'a standalone copy of this image instead (a published version, to make the next one)', { nonEmpty: true }),
  dir: text(['--dir'], 'DIR', 'where NAME.qcow2 is made (default the current folder)', { nonEmpty: true }),
  help: flag(['-h', '--help'], ''),
}

export const NEW_USAGE = `usage: labplay image new NAME --size SIZE [--dir DIR]
       labplay image new NAME --from FILE [--dir DIR]

Makes DIR/NAME.qcow2, a master disk: empty, of SIZE (qemu-img create -f qcow2), or a standalone copy of FILE
(qemu-img convert), since a published image stays as it was published. An existing file is never replaced.
Then install and configure it: labplay image edit DIR/NAME.qcow2 --iso INSTALLER.iso.

${helpLines(OPTIONS, 20)}`

const SIZE = /^[1-9][0-9]*(\.[0-9]+)?[kKmMgGtT]?$/

// `labplay image new NAME …` → exit code.
export async function main(argv: string[]): Promise<number> {
  const { values: o, positionals } = parseTable(OPTIONS, argv, 'labplay image new --help', [['size', 'from', '--size and --from: an empty disk, or a copy; give one']])
  if (o.help) return done(NEW_USAGE)
  const name = onePositional(positionals, 'image new: which name? (labplay image new NAME --size 60G)', 'image new makes one disk')
  const base = name.replace(/\.qcow2$/, '')
  if (!isImageName(base)) throw new InputError(`image new: NAME: expected letters, digits, '.', '_' or '-' (it names a file), got '${name}'`)
  if (!o.size && !o.from) throw new InputError('image new: give --size (an empty disk, e.g. --size 60G) or --from FILE (a copy)')
  if (o.size && !SIZE.test(o.size)) throw new InputError(`--size '${o.size}': expected a size such as 60G, 512M or a number of bytes`)
  const file = join(resolve(o.dir ?? '.'), `${base}.qcow2`)
  // Made empty and exclusively first: qemu-img would replace an existing file without a word.
  await (await open(file, 'wx').catch((err: NodeJS.ErrnoException) => {
    throw new InputError(err.code === 'EEXIST' ? `${file} already exists: choose another name, or edit it (labplay image edit ${file})` : `cannot create ${file}: ${err.code}`)
  })).close()
  try {
    if (o.from) await copyImage(resolve(o.from), file, process.stdout.isTTY === true)
    else await createImage(file, o.size!)
  } catch (err) {
    await rm(file, { force: true })
    throw err
  }
  const info = await imageInfo(file)
  const how = o.from ? `a copy of ${resolve(o.from)}` : 'empty'
  return done(`created ${file}: qcow2, ${formatBinaryBytes(info.virtualSize)} virtual, ${how}\nnext: labplay image edit ${file}${o.from ? '' : ' --iso INSTALLER.iso'}\n`)
}
