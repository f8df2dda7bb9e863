import { spawn } from 'node:child_process'
import { constants } from 'node:os'

// A finished command: exit code (124 on timeout) and everything it printed.
export interface RunResult { code: number; stdout: string; stderr: string }

// The knobs tests need; `timeoutMs` defaults to a minute so that nothing waits forever.
export interface RunOptions {
  input?: string | Buffer
  timeoutMs?: number
  env?: NodeJS.ProcessEnv
  cwd?: string
}

// Every lab command goes through here so that each one is bounded in time and, on timeout,
// its whole process group dies (nsenter and `ip netns exec` leave children behind otherwise).
export function run(file: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 60_000
  return new Promise((resolve) => {
    const child = spawn(file, args, { env: opts.env, cwd: opts.cwd, detached: true, stdio: 'pipe' })
    const stdout: Buffer[] = []
    const stderr: Buffer[] = []
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      try { process.kill(-child.pid!, 'SIGKILL') } catch { /* already gone */ }
    }, timeoutMs)
    child.stdout.on('data', (b: Buffer) => stdout.push(b))
    child.stderr.on('data', (b: Buffer) => stderr.push(b))
    child.stdin.on('error', () => { /* the program may exit without reading its input */ })
    child.stdin.end(opts.input ?? '')
    const finish = (code: number, extra = '') => {
      clearTimeout(timer)
      resolve({
        code,
        stdout: Buffer.concat(stdout).toString(),
        stderr: Buffer.concat(stderr).toString() + extra,
      })
    }
    child.on('error', (err) => finish(127, `${file}: ${err.message}\n`))
    child.on('close', (code, signal) => {
      if (timedOut) finish(124, `${file} ${args.join(' ')}: timed out after ${timeoutMs} ms\n`)
      else finish(code ?? 128 + (signal ? constants.signals[signal] : 0))
    })
  })
}

// Setup steps that must succeed: a failure throws with the command and what it printed.
export async function must(file: string, args: string[], opts: RunOptions = {}): Promise<string> {
  const r = await run(file, args, opts)
  if (r.code !== 0) {
    throw new Error(`${file} ${args.join(' ')} exited ${r.code}\n${r.stderr}${r.stdout}`.trim())
  }
  return r.stdout
}
