import { setTimeout as delay } from 'node:timers/promises'
import { invocation } from './become.ts'
import { killGroupScript, runCommand, stopRequest } from './exec.ts'
import type { Runner, Started } from './exec.ts'
import type { ExecOptions, ExecResult } from './types.ts'

// Reads framed requests (`id scriptBytes stdinBytes`, script, stdin) and runs them one at a time, each
// in a process group of its own (job control), announcing its pid ("S") and answering with the exit
// code and the sizes of stdout and stderr ("R") followed by their bytes. `head -c` and bash's `read`
// take exactly what they are asked for from a pipe, so requests never bleed into each other.
const LOOP = [
  'exec 2>/dev/null',
  'd=$(mktemp -d "${TMPDIR:-/tmp}/labplay.XXXXXX") || exit 1',
  `trap 'rm -rf -- "$d"' EXIT`,
  'set -m',
  `while IFS=' ' read -r id clen ilen; do`,
  '  head -c "$clen" >"$d/c" && head -c "$ilen" >"$d/i" || exit 1',
  // As `bash -c SCRIPT labplay` like an exec channel ($0, messages); a script past argv's limit runs from its file.
  `  if [ "$clen" -lt 100000 ]; then bash -c "$(<"$d/c")" labplay; else bash "$d/c"; fi <"$d/i" >"$d/o" 2>"$d/e" &`,
  '  echo "S $id $!"',
  '  wait "$!"; code=$?',
  `  printf 'R %s %s %s %s\\n' "$id" "$code" "$(stat -c %s "$d/o")" "$(stat -c %s "$d/e")"`,
  '  cat "$d/o" "$d/e"',
  'done',
].join('\n')

const KILL_GRACE_MS = 5000

interface Pending {
  id: number
  pgid?: number
  settle: (result: { code: number; stdout: string; stderr: string } | Error) => void
}

// One long-lived bash per connection: a command then costs one round trip on an open channel instead of
// a new channel, an sshd session and three processes (67 ms → 6 ms a probe, BENCHMARKS.md). It runs one
// command at a time; the connection sends others (concurrent, streamed or streaming) over exec channels.
export class ShellSession {
  private proc?: Promise<Started>
  private pending?: Pending
  private buffer = Buffer.alloc(0)
  private nextId = 1
  private dead = false

  constructor(private readonly runner: Runner) {}

  // Whether this command can go through the session now.
  accepts(opts: ExecOptions): boolean {
    return !this.dead && !this.pending && !opts.onStdout && !opts.onStderr && !(opts.stdin !== undefined && typeof opts.stdin !== 'string' && !Buffer.isBuffer(opts.stdin))
  }

  async run(command: string, opts: ExecOptions): Promise<ExecResult> {
    if (opts.signal?.aborted) return { code: 124, stdout: '', stderr: 'labplay: aborted before the command started\n' }
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
      if (stdinPrefix) proc.stdin.write(stdinPrefix)
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
    this.buffer = Buffer.concat([this.buffer, chunk])
    for (;;) {
      const eol = this.buffer.indexOf(10)
      if (eol < 0) return
      const [kind, id, a, b, c] = this.buffer.subarray(0, eol).toString('latin1').split(' ')
      if (kind === 'S') {
        if (this.pending && this.pending.id === Number(id)) this.pending.pgid = Number(a)
        this.buffer = this.buffer.subarray(eol + 1)
        continue
      }
      if (kind !== 'R') return this.fail(new Error('labplay: the remote shell answered out of turn'))
      const outLength = Number(b)
      const errLength = Number(c)
      const end = eol + 1 + outLength + errLength
      if (this.buffer.length < end) return
      const stdout = this.buffer.subarray(eol + 1, eol + 1 + outLength).toString('utf8')
      const stderr = this.buffer.subarray(eol + 1 + outLength, end).toString('utf8')
      this.buffer = this.buffer.subarray(end)
      if (this.pending && this.pending.id === Number(id)) this.pending.settle({ code: Number(a), stdout, stderr })
    }
  }
}
