import { randomBytes } from 'node:crypto'
import { setTimeout as delay } from 'node:timers/promises'
import { invocation } from './become.ts'
import { killGroupScript, runCommand, stopRequest } from './exec.ts'
import type { Runner, Started } from './exec.ts'
import type { ExecOptions, ExecResult } from './types.ts'

// Reads framed requests (`id scriptBytes stdinBytes`, script, stdin) and runs them one at a time, each in
// a forked subshell that is a process group of its own (job control). Per command, the loop itself starts
// no program: the script is read by bash's `read -N` (bytes, in the C locale), runs through `eval` in a
// subshell (no new bash), and writes its stdout straight to the channel; stderr goes to a file, sent after.
// The answer is framed by a random marker the controller sent first (never visible to commands):
//   <m>S id pgid\n   stdout   \n<m>R code\n   stderr   \n<m>E\n
// Only stdin and scripts past BIG bytes go through `head -c` (bash cannot hold NUL bytes; `read -N`
// reads a pipe byte by byte). This loop costs about 1 ms of remote CPU a command, against 10 ms when every
// command started `head`, `bash`, `stat` and `cat` (BENCHMARKS.md): on a room's seats that share the
// controller's cores, that was most of a rerun.
const BIG = 16384
const LOOP = [
  'exec 2>/dev/null',
  'IFS= read -r __m || exit 1',
  '__d=$(mktemp -d "${TMPDIR:-/tmp}/labplay.XXXXXX") || exit 1',
  `trap 'rm -rf -- "$__d"' EXIT`,
  'set -m',
  `while IFS=' ' read -r __id __clen __ilen; do`,
  `  if [ "$__clen" -lt ${BIG} ]; then LC_ALL=C IFS= read -r -d '' -N "$__clen" __c || exit 1; __f=; else head -c "$__clen" >"$__d/c" || exit 1; __f=$__d/c; fi`,
  '  if [ "$__ilen" -gt 0 ]; then head -c "$__ilen" >"$__d/i" || exit 1; __in=$__d/i; else __in=/dev/null; fi',
  `  ( printf '%sS %s %s\n' "$__m" "$__id" "$BASHPID"; unset __m __d __id __clen __ilen __in __code; BASH_ARGV0=labplay`,
  '    if [ -n "$__f" ]; then unset __c; . "$__f"; else unset __f; eval "$__c"; fi ) <"$__in" 2>"$__d/e" &',
  '  wait "$!"; __code=$?',
  `  printf '\n%sR %s\n' "$__m" "$__code"`,
  '  [ -s "$__d/e" ] && cat "$__d/e"',
  `  printf '\n%sE\n' "$__m"`,
  'done',
].join('\n')
// For bench/loop/run.sh, which times this loop without SSH.
export const SESSION_LOOP = LOOP

const KILL_GRACE_MS = 5000

interface Pending {
  id: number
  pgid?: number
  settle: (result: { code: number; stdout: string; stderr: string } | Error) => void
}

// Where the reader is in the current answer.
type Phase = { kind: 'start' } | { kind: 'stdout' } | { kind: 'stderr'; code: number; stdout: string }

// One long-lived bash per connection: a command then costs one round trip on an open channel instead of
// a new channel, an sshd session and three processes (67 ms → 6 ms a probe, BENCHMARKS.md). It runs one
// command at a time; the connection sends others (concurrent, streamed or streaming) over exec channels.
export class ShellSession {
  private proc?: Promise<Started>
  private pending?: Pending
  private readonly input = new GrowBuffer()
  private phase: Phase = { kind: 'start' }
  // Where the next search for a marker starts (bytes before it were searched already).
  private scanned = 0
  private nextId = 1
  private dead = false
  // Frames every answer; random per session and never in a command's environment.
  private readonly marker = randomBytes(16).toString('hex')
  private readonly startMark = Buffer.from(`${this.marker}S `)
  private readonly codeMark = Buffer.from(`\n${this.marker}R `)
  private readonly endMark = Buffer.from(`\n${this.marker}E\n`)

  constructor(private readonly runner: Runner) {}

  // Whether this command can go through the session now.
  accepts(opts: ExecOptions): boolean {
    return !this.dead && !this.pending && !opts.onStdout && !opts.onStderr && !(opts.stdin !== undefined && typeof opts.stdin !== 'string' && !Buffer.isBuffer(opts.stdin))
  }

  async run(command: string, opts: ExecOptions): Promise<ExecResult> {
    if (opts.signal?.aborted) return { code: 124, stdout: '', stderr: 'labplay: aborted before the command started\n' }
    if (command.includes('\0')) return { code: 2, stdout: '', stderr: 'labplay: a command cannot contain NUL bytes\n' }
    const id = this.nextId++
    const answer = new Promise<{ code: number; stdout: string; stderr: string } | Error>((settle) => (this.pending = { id, settle }))
    try {
      const proc = await this.start()
      const script = Buffer.from(command)
      const input = typeof opts.stdin === 'string' ? Buffer.from(opts.stdin) : (opts.stdin as Buffer | undefined) ?? Buffer.alloc(0)
      proc.stdin.write(Buffer.concat([Buffer.from(`${id} ${script.length} ${input.length}\n`), script, input]))
    } catch (err) {
      this.fail(err as Error)
    }
    const stop = stopRequest(opts)
    try {
      const first = await Promise.race([answer, stop.reason])
      if (typeof first === 'string') return await this.kill(first, answer)
      if (first instanceof Error) throw first
      return first
    } finally {
      stop.dispose()
      this.pending = undefined
    }
  }

  close(): void {
    this.dead = true
    void this.proc?.then((p) => p.stdin.end(), () => undefined)
  }

  private start(): Promise<Started> {
    this.proc ??= (async () => {
      const { argv, stdinPrefix } = invocation(LOOP, this.runner.loginUser, this.runner.become)
      const proc = await this.runner.spawn(argv)
      proc.stdin.on('error', () => undefined)
      proc.stderr.resume()
      proc.stdout.on('data', (chunk: Buffer) => this.read(chunk))
      proc.exit.then(
        () => this.fail(new Error('labplay: the remote shell ended')),
        (err: Error) => this.fail(err),
      )
      proc.stdin.write(Buffer.concat([stdinPrefix ?? Buffer.alloc(0), Buffer.from(`${this.marker}\n`)]))
      return proc
    })()
    return this.proc
  }

  // A timed-out or aborted command: its process group is killed from a second channel; the loop then answers.
  private async kill(reason: string, answer: Promise<{ code: number; stdout: string; stderr: string } | Error>): Promise<ExecResult> {
    const pgid = this.pending?.pgid
    if (pgid !== undefined) {
      void this.runner.killSlot(() => runCommand(this.runner, killGroupScript(pgid), { timeoutMs: KILL_GRACE_MS })).catch(() => undefined)
    }
    const after = await Promise.race([answer, delay(KILL_GRACE_MS, undefined)])
    if (after === undefined || after instanceof Error) this.abandon()
    const done = after && !(after instanceof Error) ? after : { stdout: '', stderr: '' }
    const note = `labplay: ${reason}; the command was killed\n`
    return { code: 124, stdout: done.stdout, stderr: done.stderr === '' || done.stderr.endsWith('\n') ? done.stderr + note : `${done.stderr}\n${note}` }
  }

  private abandon(): void {
    this.dead = true
    void this.proc?.then((p) => p.abandon(), () => undefined)
  }

  private fail(err: Error): void {
    this.dead = true
    this.pending?.settle(err)
  }

  private read(chunk: Buffer): void {
    this.input.append(chunk)
    for (;;) {
      const data = this.input.view()
      if (this.phase.kind === 'start') {
        // Anything before the start line is not ours (a stray background process): dropped.
        const at = data.indexOf(this.startMark, this.scanned)
        const eol = at < 0 ? -1 : data.indexOf(10, at)
        if (eol < 0) return this.searched(data.length, this.startMark.length)
        const [id, pgid] = data.subarray(at + this.startMark.length, eol).toString('latin1').split(' ')
        if (!this.pending || this.pending.id !== Number(id)) return this.fail(new Error('labplay: the remote shell answered out of turn'))
        this.pending.pgid = Number(pgid)
        this.next(eol + 1, { kind: 'stdout' })
      } else if (this.phase.kind === 'stdout') {
        const at = data.indexOf(this.codeMark, this.scanned)
        const eol = at < 0 ? -1 : data.indexOf(10, at + this.codeMark.length)
        if (eol < 0) return this.searched(at < 0 ? data.length : at, this.codeMark.length)
        const code = Number(data.subarray(at + this.codeMark.length, eol).toString('latin1'))
        this.next(eol + 1, { kind: 'stderr', code, stdout: data.subarray(0, at).toString('utf8') })
      } else {
        const at = data.indexOf(this.endMark, this.scanned)
        if (at < 0) return this.searched(data.length, this.endMark.length)
        const { code, stdout } = this.phase
        const stderr = data.subarray(0, at).toString('utf8')
        this.next(at + this.endMark.length, { kind: 'start' })
        this.pending?.settle({ code, stdout, stderr })
      }
    }
  }

  // Nothing found up to `end`: the next search starts where a marker cut by a chunk boundary could begin.
  private searched(end: number, markLength: number): void {
    this.scanned = Math.max(0, end - markLength + 1)
  }

  private next(consumed: number, phase: Phase): void {
    this.input.consume(consumed)
    this.scanned = 0
    this.phase = phase
  }
}

// Bytes received and not yet parsed; grows by doubling, so a command printing megabytes costs linear time.
class GrowBuffer {
  private data = Buffer.alloc(4096)
  private length = 0

  append(chunk: Buffer): void {
    if (this.length + chunk.length > this.data.length) {
      const bigger = Buffer.alloc(Math.max(this.data.length * 2, this.length + chunk.length))
      this.data.copy(bigger, 0, 0, this.length)
      this.data = bigger
    }
    chunk.copy(this.data, this.length)
    this.length += chunk.length
  }

  view(): Buffer {
    return this.data.subarray(0, this.length)
  }

  consume(n: number): void {
    this.data.copy(this.data, 0, n, this.length)
    this.length -= n
  }
}
