import { posix } from 'node:path'
import { quote } from '../quote.ts'
import { commandFailed } from './failure.ts'
import { absolutePath } from './path.ts'
import { StepError } from '../outcome.ts'
import { type Outcome, type PrimitiveIO } from './types.ts'

// Without force, a real file or directory at the link's path is an error, never silently lost.
export interface SymlinkOptions {
  // Replace a file or directory that stands where the link should be.
  force?: boolean
}

// path → target; an existing link is swapped atomically (new link under a temp name, then rename over it).
export async function symlink(io: PrimitiveIO, path: string, target: string, opts: SymlinkOptions = {}): Promise<Outcome> {
  const link = absolutePath(path)
  if (target === '' || target.includes('\0')) throw new StepError(`invalid symlink target ${JSON.stringify(target)}`)
  const probe = await io.probe(
    [
      `p=${quote(link)}`,
      `if [ -L "$p" ]; then echo link; readlink -- "$p" || exit 1`,
      `elif [ -d "$p" ]; then echo directory`,
      `elif [ -e "$p" ]; then echo other`,
      `else echo absent; fi`,
    ].join('\n'),
  )
  if (probe.code !== 0) throw commandFailed(`cannot inspect ${link}`, probe)
  const newline = probe.stdout.indexOf('\n')
  const kind = probe.stdout.slice(0, newline)
  if (kind === 'link' && probe.stdout.slice(newline + 1).replace(/\n$/, '') === target) return { changed: false }
  if ((kind === 'directory' || kind === 'other') && !opts.force) {
    throw new StepError(`${link} exists and is not a symlink (force: true replaces it)`)
  }

  const message = `${link} -> ${target}`
  if (io.check) return { changed: true, message: `would link ${message}` }
  const template = quote(`${posix.dirname(link)}/.labplay.XXXXXX`)
  const result = await io.run(
    [
      `p=${quote(link)}`,
      `tmp=$(mktemp -u -- ${template}) || exit 1`,
      `ln -s -- ${quote(target)} "$tmp" || exit 1`,
      ...(kind === 'directory' ? [`rm -rf -- "$p" || { rm -f -- "$tmp"; exit 1; }`] : []),
      `mv -Tf -- "$tmp" "$p" || { rm -f -- "$tmp"; exit 1; }`,
    ].join('\n'),
  )
  if (result.code !== 0) throw commandFailed(`cannot link ${message}`, result)
  return { changed: true, message: `linked ${message}` }
}
