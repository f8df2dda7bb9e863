import { quote } from '../quote.ts'
import { attributeCommands, attributeDrift, describeAttributes, parseAttributes, type AttributeOptions } from './attributes.ts'
import { commandFailed } from './failure.ts'
import { absolutePath } from './path.ts'
import { parseStat, statCommand } from './stat.ts'
import { StepError } from '../outcome.ts'
import { type Outcome, type PrimitiveIO } from './types.ts'

// A directory has only metadata to ask for.
export type DirectoryOptions = AttributeOptions

// A directory (parents created as needed) with this metadata; a symlink to a directory counts as one.
export async function directory(io: PrimitiveIO, path: string, opts: DirectoryOptions = {}): Promise<Outcome> {
  const target = absolutePath(path)
  const attributes = parseAttributes(opts)
  const probe = await io.probe(statCommand(target, true))
  if (probe.code !== 0) throw commandFailed(`cannot inspect ${target}`, probe)
  const state = parseStat(probe.stdout.split('\n')[0])
  if (state.kind !== 'absent' && state.kind !== 'directory') throw new StepError(`${target} exists and is not a directory`)

  const creating = state.kind === 'absent'
  const drift = creating ? attributes : attributeDrift(state, attributes)
  const what = describeAttributes(drift)
  if (!creating && !what) return { changed: false }
  const message = (would: boolean): string =>
    creating ? `${would ? 'would create' : 'created'} ${target}${what ? ` (${what})` : ''}` : `${would ? 'would set' : 'set'} ${what} on ${target}`
  if (io.check) return { changed: true, message: message(true) }

  const commands = attributeCommands(quote(target), drift)
  if (creating) commands.unshift(`mkdir -p -- ${quote(target)}`)
  const result = await io.run(commands.join(' && '))
  if (result.code !== 0) throw commandFailed(`cannot ${creating ? 'create' : 'change'} ${target}`, result)
  return { changed: true, message: message(false) }
}
