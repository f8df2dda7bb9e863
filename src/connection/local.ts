import { spawn } from 'node:child_process'
import { constants, userInfo } from 'node:os'
import { runCommand } from './exec.ts'
import type { Runner, Started } from './exec.ts'
import type { Become, Connection, ExecOptions, ExecResult } from './types.ts'

// ansible_connection=local: the same exec contract as SSH, run on the controller.
export function connectLocal(name: string, opts: { become?: Become } = {}): Connection {
  const runner: Runner = { spawn: spawnLocal, loginUser: userInfo().username, become: opts.become, killSlot: (task) => task() }
  let closed = false
  return {
    host: name,
    exec(command: string, execOpts?: ExecOptions): Promise<ExecResult> {
      if (closed) return Promise.reject(new Error(`${name}: connection closed`))
      return runCommand(runner, command, execOpts)
    },
    async close() {
      closed = true
    },
  }
}

export async function spawnLocal(argv: string[]): Promise<Started> {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] })
  const exit = new Promise<number>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)))
  })
  return {
    stdin: child.stdin,
    stdout: child.stdout,
    stderr: child.stderr,
    exit,
    abandon() {
      child.kill('SIGKILL')
      child.stdout.destroy()
      child.stderr.destroy()
    },
  }
}
