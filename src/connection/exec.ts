import { Readable, type Writable } from 'node:stream'
import { finished } from 'node:stream/promises'
import { StringDecoder } from 'node:string_decoder'
import { setTimeout as delay } from 'node:timers/promises'
import { invocation } from './become.ts'
import { abortedBeforeStart, KILL_GRACE_MS, killedResult, killGroupScript, stopRequest } from './kill.ts'
import { OutputBudget, OutputLimitError } from './output-limit.ts'
import { PgidScanner } from './pgid.ts'
import type { Become, ExecOptions, ExecResult } from './types.ts'

// A started process, over an SSH channel or as a local child: exec's transport-specific half.
export interface Started {
  stdin: Writable
  stdout: Readable
  stderr: Readable
  // The exit code (128 + signal number when killed by a signal); rejects when the transport is lost.
  exit: Promise<number>
  // Stop waiting for a process that was killed but does not finish (close the channel, kill the child).
  abandon(): void
}

// Where commands run: how to start an argv, as which login user, and whom to become.
export interface Runner {
  spawn(argv: string[]): Promise<Started>
  loginUser: string
  become?: Become
  // Runs a kill outside the queue of ordinary commands (a timed-out command still holds its slot).
  killSlot<T>(task: () => Promise<T>): Promise<T>
}

// exec() for every transport: bash, sudo, stdin, streamed UTF-8 output, timeouts and an output cap that
// kill the whole remote tree.
export async function runCommand(runner: Runner, command: string, opts: ExecOptions = {}): Promise<ExecResult> {
  if (opts.signal?.aborted) return abortedBeforeStart()
  const { argv, stdinPrefix, promptOnStderr } = invocation(command, runner.loginUser, runner.become)
  const proc = await runner.spawn(argv)
  const scanner = new PgidScanner(promptOnStderr)
  const budget = new OutputBudget(opts.maxOutputBytes)
  const stdout = collect(proc.stdout, budget, opts.onStdout)
  const stderr = collect(proc.stderr, budget, opts.onStderr, scanner)
  proc.stdin.on('error', () => {}) // a command that exits without reading all of its stdin closes the pipe early
  if (opts.stdin instanceof Readable) {
    // Large inputs (an image copied to one host) stream through, never held in memory.
    if (stdinPrefix) proc.stdin.write(stdinPrefix)
    opts.stdin.on('error', () => proc.stdin.destroy())
    opts.stdin.pipe(proc.stdin)
  } else {
    const input = typeof opts.stdin === 'string' ? Buffer.from(opts.stdin) : opts.stdin
    proc.stdin.end(Buffer.concat([stdinPrefix ?? Buffer.alloc(0), input ?? Buffer.alloc(0)]))
  }

  const stop = stopRequest(opts)
  try {
    const first = await Promise.race([
      proc.exit.then((code) => ({ code })),
      stop.reason.then((reason) => ({ reason })),
      budget.exceeded.then(() => ({ reason: 'output exceeded' })),
    ])
    if ('code' in first) {
      await Promise.all([drained(proc.stdout), drained(proc.stderr)])
      if (budget.over) throw new OutputLimitError(budget.limit)
      return { code: first.code, stdout: stdout(), stderr: stderr() }
    }
    void killGroup(runner, scanner, proc)
    const exited = await Promise.race([proc.exit.then(() => true), delay(KILL_GRACE_MS, false)])
    if (!exited) proc.abandon()
    if (budget.over) throw new OutputLimitError(budget.limit)
    return killedResult(first.reason, stdout(), stderr())
  } finally {
    stop.dispose()
  }
}

// Kills the command's process group from a second process (as the same become user), once its id is known.
async function killGroup(runner: Runner, scanner: PgidScanner, proc: Started): Promise<void> {
  const gone = proc.exit.then(() => undefined, () => undefined)
  const pgid = await Promise.race([scanner.pgid, gone, delay(KILL_GRACE_MS, undefined)])
  if (pgid === undefined) return
  const kill = () => runCommand(runner, killGroupScript(pgid), { timeoutMs: KILL_GRACE_MS })
  await runner.killSlot(kill).catch(() => undefined)
}

// Decodes a stream as UTF-8 (characters split across chunks included), streaming and keeping every chunk
// while the budget lasts; past it, bytes are read and dropped (the command is being killed).
function collect(stream: Readable, budget: OutputBudget, onChunk?: (chunk: string) => void, scanner?: PgidScanner): () => string {
  const decoder = new StringDecoder('utf8')
  let text = ''
  const take = (bytes: Buffer, last = false) => {
    if (!budget.take(bytes.length)) {
      text = ''
      return
    }
    const chunk = decoder.write(bytes) + (last ? decoder.end() : '')
    if (chunk === '') return
    text += chunk
    onChunk?.(chunk)
  }
  stream.on('data', (chunk: Buffer) => take(scanner ? scanner.push(chunk) : chunk))
  stream.on('end', () => take(scanner?.flush() ?? Buffer.alloc(0), true))
  return () => text
}

function drained(stream: Readable): Promise<void> {
  return finished(stream, { readable: true, writable: false }).catch(() => undefined)
}
