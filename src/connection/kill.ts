import type { ExecOptions, ExecResult } from './types.ts'

// How a command labplay stops ends, whichever way it ran (an exec channel or the shell session).

// How long a killed command may take to go away before labplay stops waiting for it.
export const KILL_GRACE_MS = 5000

// The exit code of a command labplay stopped (timeout(1)'s).
export const KILLED = 124

// The signal fired before the command was sent: it never ran.
export function abortedBeforeStart(): ExecResult {
  return { code: KILLED, stdout: '', stderr: 'labplay: aborted before the command started\n' }
}

// A killed command's result: what it printed, then why labplay killed it, on a line of its own.
export function killedResult(reason: string, stdout: string, stderr: string): ExecResult {
  const note = `labplay: ${reason}; the command was killed\n`
  return { code: KILLED, stdout, stderr: stderr === '' || stderr.endsWith('\n') ? stderr + note : `${stderr}\n${note}` }
}

// Resolves with why the command must stop (timeoutMs or the abort signal), never otherwise.
export function stopRequest(opts: ExecOptions): { reason: Promise<string>; dispose(): void } {
  let timer: NodeJS.Timeout | undefined
  let onAbort = () => {}
  const reason = new Promise<string>((resolve) => {
    if (opts.timeoutMs !== undefined) timer = setTimeout(() => resolve(`timed out after ${opts.timeoutMs! / 1000}s`), opts.timeoutMs)
    onAbort = () => resolve('aborted')
    opts.signal?.addEventListener('abort', onAbort, { once: true })
  })
  return {
    reason,
    dispose() {
      clearTimeout(timer)
      opts.signal?.removeEventListener('abort', onAbort)
    },
  }
}

// TERM first, so the command's traps run (a file write removes its temporary file), KILL 2 s later.
// `pgid`: the group's number, or a shell variable holding it.
export function killGroupScript(pgid: number | `$${string}`): string {
  return [
    `kill -TERM -- -${pgid} 2>/dev/null || exit 0`,
    `for i in 1 2 3 4 5 6 7 8 9 10; do kill -0 -- -${pgid} 2>/dev/null || exit 0; sleep 0.2; done`,
    `kill -KILL -- -${pgid} 2>/dev/null`,
    'exit 0',
  ].join('\n')
}
