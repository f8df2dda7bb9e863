import { randomBytes } from 'node:crypto'
import { setTimeout as delay } from 'node:timers/promises'
import { invocation } from './become.ts'
import { runCommand } from './exec.ts'
import type { Runner, Started } from './exec.ts'
import { FrameReader, type FrameEvents } from './frames.ts'
import { abortedBeforeStart, KILL_GRACE_MS, killedResult, killGroupScript, stopRequest } from './kill.ts'
import { OutputBudget, OutputLimitError } from './output-limit.ts'
import type { ExecOptions, ExecResult } from './types.ts'

// Reads framed requests (`id scriptBytes stdinBytes`, script, stdin) and runs them one at a time, each in
// a forked subshell that is a process group of its own (job control). Per command, the loop itself starts
// no program: the script is read by bash's `read -N` (bytes, in the C locale), runs through `eval` in a
// subshell (no new bash), and writes its stdout and stderr straight to the channel's two streams, so both
// are counted as they arrive (the output cap) and nothing waits in a file on the host. A random marker
// the controller sent first (never visible to commands) ends each answer on both streams:
//   stdout:   stdout   \n<m>E id code\n        stderr:   stderr   \n<m>E id\n
// Each stream's first frame (id 0, at start-up) takes what the login printed before the loop; stderr's
// also names the loop's pid, through which a kill finds the running command's group (killJobScript).
// No line starts a command: that packet would cost as much as the rest of the framing. So what a stray
// background process prints between commands counts as the next command's output.
// Only stdin and scripts past BIG bytes go through `head -c` (bash cannot hold NUL bytes; `read -N`
// reads a pipe byte by byte). This loop costs about 1 ms of remote CPU a command, against 10 ms when every
// command started `head`, `bash`, `stat` and `cat` (BENCHMARKS.md): on a room's seats that share the
// controller's cores, that was most of a rerun.
const BIG = 16384
const LOOP = [
  'exec 3>&2 2>/dev/null',
  'IFS= read -r __m || exit 1',
  `printf '\n%sE 0 0\n' "$__m"; printf '\n%sE 0 %s\n' "$__m" "$$" >&3`,
  '__d=$(mktemp -d "${TMPDIR:-/tmp}/labplay.XXXXXX") || exit 1',
  `trap 'rm -rf -- "$__d"' EXIT`,
  'set -m',
  `while IFS=' ' read -r __id __clen __ilen; do`,
  `  if [ "$__clen" -lt ${BIG} ]; then LC_ALL=C IFS= read -r -d '' -N "$__clen" __c || exit 1; __f=; else head -c "$__clen" >"$__d/c" || exit 1; __f=$__d/c; fi`,
  '  if [ "$__ilen" -gt 0 ]; then head -c "$__ilen" >"$__d/i" || exit 1; __in=$__d/i; else __in=/dev/null; fi',
  `  ( unset __m __d __id __clen __ilen __in __code; BASH_ARGV0=labplay`,
  '    if [ -n "$__f" ]; then unset __c; . "$__f"; else unset __f; eval "$__c"; fi ) <"$__in" 2>&3 3>&- &',
  '  wait "$!"; __code=$?',
  `  printf '\n%sE %s %s\n' "$__m" "$__id" "$__code"`,
  `  printf '\n%sE %s\n' "$__m" "$__id" >&3`,
  'done',
].join('\n')
// For bench/loop/run.sh, which times this loop without SSH.
export const SESSION_LOOP = LOOP

const OVER: unique symbol = Symbol('output exceeded')

type Answer = ExecResult | Error
type Stream = 'stdout' | 'stderr'

// The command the streams are answering: filled in by both, settled when both have ended.
interface Pending {
  id: number
  budget: OutputBudget
  code?: number
  stdout?: string
  stderr?: string
  settle: (result: Answer) => void
}

// A command on its way, as run() waits on it.
interface Sent {
  budget: OutputBudget
  answer: Promise<Answer>
}

// One long-lived bash per connection: a command then costs one round trip on an open channel instead of
// a new channel, an sshd session and three processes (67 ms → 6 ms a probe, BENCHMARKS.md). It runs one
// command at a time; the connection sends others (concurrent, streamed or streaming) over exec channels.
export class ShellSession {
  private proc?: Promise<Started>
  private pending?: Pending
  private nextId = 1
  private dead = false
  // Streams whose start-up frame has ended: before it, what arrives is the login's (a .bashrc), dropped.
  private readonly looping = new Set<Stream>()
  // The loop's pid, from stderr's start-up frame: a kill looks for its child.
  private readonly loopPid: Promise<number>
  private looped!: (pid: number) => void
  // Frames every answer; random per session and never in a command's environment.
  private readonly marker = randomBytes(16).toString('hex')
  private readonly stdout = new FrameReader(this.marker, this.events('stdout'))
  private readonly stderr = new FrameReader(this.marker, this.events('stderr'))

  constructor(private readonly runner: Runner) {
    this.loopPid = new Promise((resolve) => (this.looped = resolve))
  }

  // Whether this command can go through the session now.
  accepts(opts: ExecOptions): boolean {
    return !this.dead && !this.pending && !opts.onStdout && !opts.onStderr && !(opts.stdin !== undefined && typeof opts.stdin !== 'string' && !Buffer.isBuffer(opts.stdin))
  }

  async run(command: string, opts: ExecOptions): Promise<ExecResult> {
    if (opts.signal?.aborted) return abortedBeforeStart()
    if (command.includes('\0')) return { code: 2, stdout: '', stderr: 'labplay: a command cannot contain NUL bytes\n' }
    const id = this.nextId++
    const budget = new OutputBudget(opts.maxOutputBytes)
    const answer = new Promise<Answer>((settle) => (this.pending = { id, budget, settle }))
    const sent = { budget, answer }
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
      const first = await Promise.race([answer, stop.reason, budget.exceeded.then((): typeof OVER => OVER)])
      if (first === OVER || budget.over) return await this.overflow(sent)
      if (typeof first === 'string') return await this.kill(first, sent)
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
      proc.stdout.on('data', (chunk: Buffer) => this.stdout.push(chunk))
      // What sudo or su said before the loop started (a refused password) is the reason the shell ended.
      let said = ''
      proc.stderr.on('data', (chunk: Buffer) => {
        if (!this.looping.has('stderr') && said.length < 512) said += chunk.toString('utf8').slice(0, 512)
        this.stderr.push(chunk)
      })
      proc.exit.then(
        () => this.fail(new Error(`labplay: the remote shell ended${reason(said)}`)),
        (err: Error) => this.fail(err),
      )
      proc.stdin.write(Buffer.concat([stdinPrefix ?? Buffer.alloc(0), Buffer.from(`${this.marker}\n`)]))
      return proc
    })()
    return this.proc
  }

  // A timed-out or aborted command: its process group is killed from a second channel; the loop then answers.
  private async kill(reason: string, sent: Sent): Promise<ExecResult> {
    const after = await this.killJob(sent)
    if (sent.budget.over) throw new OutputLimitError(sent.budget.limit)
    const done = after && !(after instanceof Error) ? after : { stdout: '', stderr: '' }
    return killedResult(reason, done.stdout, done.stderr)
  }

  // A command past its output cap: killed like a timed-out one; what it printed is dropped.
  // (An answer already complete when the last bytes went over needs no kill.)
  private async overflow(sent: Sent): Promise<never> {
    const after = await Promise.race([sent.answer, delay(0, undefined)])
    if (after === undefined) await this.killJob(sent)
    throw new OutputLimitError(sent.budget.limit)
  }

  // Kills the running command's group; the answer, or undefined when the session had to be given up.
  private async killJob({ answer }: Sent): Promise<Answer | undefined> {
    const loop = await Promise.race([this.loopPid, answer.then(() => undefined), delay(KILL_GRACE_MS, undefined)])
    if (loop !== undefined) {
      void this.runner.killSlot(() => runCommand(this.runner, killJobScript(loop), { timeoutMs: KILL_GRACE_MS })).catch(() => undefined)
    }
    const after = await Promise.race([answer, delay(KILL_GRACE_MS, undefined)])
    if (after === undefined || after instanceof Error) this.abandon()
    return after
  }

  private abandon(): void {
    this.dead = true
    void this.proc?.then((p) => p.abandon(), () => undefined)
  }

  private fail(err: Error): void {
    this.dead = true
    this.pending?.settle(err)
  }

  // Both streams end every answer; a command is done when both have.
  private events(stream: Stream): FrameEvents {
    return {
      body: (bytes) => this.looping.has(stream) && (this.pending?.budget.take(bytes) ?? false),
      end: (body, [id, value]) => {
        if (!this.looping.has(stream)) {
          this.looping.add(stream)
          if (stream === 'stderr') this.looped(Number(value))
          return
        }
        const p = this.pending
        if (!p || p.id !== Number(id)) return this.fail(new Error('labplay: the remote shell answered out of turn'))
        const text = body?.toString('utf8') ?? ''
        if (stream === 'stdout') [p.code, p.stdout] = [Number(value), text]
        else p.stderr = text
        if (p.stdout !== undefined && p.stderr !== undefined) p.settle({ code: p.code!, stdout: p.stdout, stderr: p.stderr })
      },
      broken: (message) => this.fail(new Error(message)),
    }
  }
}

// The loop's running command is its one child, a process group of its own: found through /proc, then
// killed as exec kills a group. Nothing to do once the command is over.
function killJobScript(loopPid: number): string {
  return [
    'g=',
    `for s in /proc/[0-9]*/stat; do read -r l <"$s" || continue; set -- \${l##*) }; [ "$2" = ${loopPid} ] && [ "$3" = "\${s//[^0-9]/}" ] && g=$3; done 2>/dev/null`,
    '[ -n "$g" ] || exit 0',
    killGroupScript('$g'),
  ].join('\n')
}

// The become tool's last line before the loop began (`su: Authentication failure`), without its prompt.
function reason(said: string): string {
  const line = said.replace(/labplay-pgid=\d+\n/, '').split('\n').map((l) => l.replace(/^[^:]*[Pp]assword[^:]*: ?/, '').trim()).filter(Boolean).at(-1)
  return line ? `: ${line}` : ''
}
