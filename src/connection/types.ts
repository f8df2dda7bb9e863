import type { Readable } from 'node:stream'

export interface ExecResult {
  code: number
  stdout: string
  stderr: string
}

export interface ExecOptions {
  // Bytes fed to the command's standard input (file contents travel this way: no uploads).
  stdin?: string | Buffer | Readable
  // Kill the command (remote side too) after this long; the result then has code 124.
  timeoutMs?: number
  // Streamed output, for live progress of long steps.
  onStdout?: (chunk: string) => void
  onStderr?: (chunk: string) => void
  signal?: AbortSignal
  // Cap on stdout + stderr (streamed bytes count too; default 16 MiB): past it the command is killed on
  // the host and exec rejects with OutputLimitError.
  maxOutputBytes?: number
}

// One open channel to one host for the whole run; every step of every task goes through it.
export interface Connection {
  readonly host: string
  exec(command: string, opts?: ExecOptions): Promise<ExecResult>
  close(): Promise<void>
}

export type HostKeyChecking = 'strict' | 'accept-new' | 'off'

export interface Become {
  user: string
  // sudo password (-K); never logged, never part of an error message.
  password?: string
}

export interface SshTarget {
  // Inventory name (for messages) and where to connect.
  name: string
  address: string
  port: number
  user: string
  privateKeyFile?: string
  knownHostsFile: string
  hostKeyChecking: HostKeyChecking
  connectTimeoutMs: number
  become?: Become
}

// The host could not be reached or refused us (network, auth, host key): counted as unreachable.
export class UnreachableError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UnreachableError'
  }
}
