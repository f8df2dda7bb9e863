import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { quote } from '../quote.ts'
import { attributeCommands, attributeDrift, describeAttributes, parseAttributes, type AttributeOptions } from './attributes.ts'
import { fileDiff } from './file-diff.ts'
import { fileProbeCommand, fileWriteCommand, VALIDATION_FAILED } from './file-commands.ts'
import { commandFailed, commandOutput } from './failure.ts'
import { absolutePath } from './path.ts'
import { parseStat, type PathState } from './stat.ts'
import { StepError } from '../outcome.ts'
import { type Outcome, type PrimitiveIO } from './types.ts'

// What a role asks of a file: content from a string/Buffer or a controller file, metadata, safety nets.
export interface FileOptions extends AttributeOptions {
  content?: string | Buffer
  // A file on the controller, read here and sent on stdin (no upload step).
  source?: string
  // Run on the temporary file before it replaces the target; %s is its path (appended when absent).
  validate?: string
  backup?: boolean
}

// A regular file with this content and metadata; without content or source, only the metadata of an existing file.
export async function file(io: PrimitiveIO, path: string, opts: FileOptions = {}): Promise<Outcome> {
  const target = absolutePath(path)
  const attributes = parseAttributes(opts)
  const want = await wantedContent(opts)

  const probe = await io.probe(fileProbeCommand(target, io.diff && want !== undefined, want !== undefined))
  if (probe.code !== 0) throw commandFailed(`cannot inspect ${target}`, probe)
  const seen = parseProbe(probe.stdout)
  const { state } = seen
  if (state.kind === 'directory' || state.kind === 'other') throw new StepError(`${target} exists and is not a regular file`)
  if (want === undefined && state.kind !== 'file') {
    throw new StepError(`${target} ${state.kind === 'absent' ? 'does not exist' : 'is a symbolic link'} and no content or source was given`)
  }

  if (want === undefined || (state.kind === 'file' && seen.sha256 === sha256(want))) {
    const drift = attributeDrift(state, attributes)
    const what = describeAttributes(drift)
    if (!what) return { changed: false }
    if (io.check) return { changed: true, message: `would set ${what} on ${target}` }
    const result = await io.run(attributeCommands(quote(target), drift).join(' && '))
    if (result.code !== 0) throw commandFailed(`cannot set ${what} on ${target}`, result)
    return { changed: true, message: `set ${what} on ${target}` }
  }

  const verb = state.kind === 'absent' ? 'create' : 'update'
  const outcome: Outcome = { changed: true, message: `${io.check ? `would ${verb}` : `${verb}d`} ${target}` }
  if (io.diff) outcome.diff = fileDiff(target, state.kind === 'file' ? seen.content : '', want)
  if (io.check) return outcome

  const existing = state.kind === 'file'
  const keepOwner = existing && io.facts.uid === 0
  const command = fileWriteCommand({
    path: target,
    attributes: {
      mode: attributes.mode ?? (existing ? state.mode : undefined),
      owner: attributes.owner ?? (keepOwner ? state.uid : undefined),
      group: attributes.group ?? (keepOwner ? state.gid : undefined),
    },
    validate: opts.validate,
    backup: opts.backup === true,
  })
  const result = await io.run(command, want)
  if (result.code === VALIDATION_FAILED) throw new StepError(`validation failed: ${commandOutput(result)}`)
  if (result.code !== 0) throw commandFailed(`cannot write ${target}`, result)
  return outcome
}

async function wantedContent(opts: FileOptions): Promise<Buffer | undefined> {
  if (opts.content !== undefined && opts.source !== undefined) throw new StepError('give content or source, not both')
  if (opts.content !== undefined) return typeof opts.content === 'string' ? Buffer.from(opts.content) : opts.content
  if (opts.source === undefined) return undefined
  try {
    return await readFile(opts.source)
  } catch (error) {
    throw new StepError(`cannot read source ${opts.source}: ${(error as Error).message}`)
  }
}

interface FileProbe {
  state: PathState
  sha256?: string
  // Present in diff mode for a file of at most DIFF_LIMIT bytes.
  content?: string
}

function parseProbe(stdout: string): FileProbe {
  const [statLine, hashLine, marker] = stdout.split('\n', 3)
  const state = parseStat(statLine)
  if (state.kind !== 'file') return { state }
  if (hashLine === 'unhashed') return { state }
  const sha = /^[0-9a-f]{64}/.exec(hashLine ?? '')?.[0]
  if (sha === undefined) throw new StepError(`unexpected probe output: ${JSON.stringify(stdout.slice(0, 200))}`)
  if (marker !== 'content') return { state, sha256: sha }
  const start = statLine.length + hashLine.length + marker.length + 3
  return { state, sha256: sha, content: stdout.slice(start) }
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex')
}
