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
  // sudo (default) or su (the become user's password, fed to su on its standard input).
  method?: 'sudo' | 'su'
  // The become password (-K, ansible_become_password); never logged, never part of an error message.
  password?: string
}

// One SSH login: the host itself, or a jump host on the way to it (ProxyJump).
export interface SshHop {
  // Inventory name or jump spec (for messages) and where to connect.
  name: string
  address: string
  port: number
  user: string
  // The one key to use (ansible_ssh_private_key_file, --private-key); else identityFiles, the agent, the defaults.
  privateKeyFile?: string
  identityFiles?: string[]
  identitiesOnly?: boolean
  // Password login (ansible_password, -k); a secret.
  password?: string
  knownHostsFile: string
  hostKeyChecking: HostKeyChecking
  connectTimeoutMs: number
  // ServerAliveInterval / ServerAliveCountMax; labplay's 5 s × 3 otherwise.
  keepaliveIntervalMs?: number
  keepaliveCountMax?: number
}

export interface SshTarget extends SshHop {
  // Jump hosts in order (the first is reached directly); each is one connection shared by every host behind it.
  via?: SshHop[]
  become?: Become
}

// The host could not be reached or refused us (network, auth, host key): counted as unreachable.
export class UnreachableError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UnreachableError'
  }
}
