import { quote } from '../quote.ts'
import { commandFailed } from './failure.ts'
import { absolutePath } from './path.ts'
import { StepError } from '../outcome.ts'
import { type Outcome, type PrimitiveIO } from './types.ts'

// Nothing at this path: a file, a symlink (not what it points to) or a whole directory tree.
export async function absent(io: PrimitiveIO, path: string): Promise<Outcome> {
  const target = absolutePath(path)
  if (target === '/') throw new StepError('refusing to remove /')
  const probe = await io.probe(`if [ -e ${quote(target)} ] || [ -L ${quote(target)} ]; then echo present; else echo absent; fi`)
  if (probe.code !== 0) throw commandFailed(`cannot inspect ${target}`, probe)
  if (probe.stdout.trim() === 'absent') return { changed: false }
  if (io.check) return { changed: true, message: `would remove ${target}` }
  const result = await io.run(`rm -rf -- ${quote(target)}`)
  if (result.code !== 0) throw commandFailed(`cannot remove ${target}`, result)
  return { changed: true, message: `removed ${target}` }
}
