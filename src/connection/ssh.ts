import { once } from 'node:events'
import { constants } from 'node:os'
import { setTimeout as delay } from 'node:timers/promises'
import pLimit from 'p-limit'
import { Client } from 'ssh2'
import type { ClientChannel, ConnectConfig } from 'ssh2'
import { authPlan } from './auth.ts'
import type { AuthPlan } from './auth.ts'
import { shellLine } from './bash.ts'
import { runCommand } from './exec.ts'
import { ShellSession } from './session.ts'
import type { Runner, Started } from './exec.ts'
import { checkHostKey, hostKeyAlgorithms } from './known-hosts.ts'
import { UnreachableError } from './types.ts'
import type { Connection, ExecOptions, ExecResult, SshTarget } from './types.ts'

// OpenSSH's MaxSessions defaults to 10 channels a connection: the shell session, 7 for commands, 2 kept
// for killing timed-out ones.
const CHANNELS_PER_CONNECTION = 7
const KILL_CHANNELS = 2
// A dead link is noticed after about 15 s of silence.
const KEEPALIVE_INTERVAL_MS = 5000
const KEEPALIVE_COUNT_MAX = 3
const CLOSE_WAIT_MS = 2000

// Opens the one SSH connection a host gets for the whole run; any failure to get there is UnreachableError.
export async function connectSsh(target: SshTarget): Promise<Connection> {
  const auth = await authPlan(target)
  const algorithms = await hostKeyAlgorithms(target.knownHostsFile, target.address, target.port)
  const client = new Client()
  // Errors reach callers through login() and the connection's close; a late one must not crash the run.
  client.on('error', () => undefined)
  let refusal: string | undefined
  try {
    await login(client, {
      host: target.address,
      port: target.port,
      username: target.user,
      readyTimeout: target.connectTimeoutMs,
      keepaliveInterval: KEEPALIVE_INTERVAL_MS,
      keepaliveCountMax: KEEPALIVE_COUNT_MAX,
      authHandler: auth.methods,
      ...(algorithms && { algorithms: { serverHostKey: algorithms } }),
      hostVerifier: (key, verify) => {
        checkHostKey(target.knownHostsFile, target.address, target.port, key, target.hostKeyChecking).then(
          (check) => {
            if (!check.accepted) refusal = check.reason
            verify(check.accepted)
          },
          (err: Error) => {
            refusal = `cannot check the host key against ${target.knownHostsFile}: ${err.message}`
            verify(false)
          },
        )
      },
    })
  } catch (err) {
    client.destroy()
    throw new UnreachableError(`${target.name}: ${refusal ?? describeConnectError(err as ConnectError, target, auth)}`)
  }
  return new SshConnection(target, client)
}

// Resolves once logged in, rejects with the first error; its listeners are gone either way.
function login(client: Client, config: ConnectConfig): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (err?: Error) => {
      client.off('ready', settle).off('error', settle).off('close', closed)
      if (err) reject(err)
      else resolve()
    }
    const closed = () => settle(new Error('connection closed during login'))
    client.once('ready', settle).once('error', settle).once('close', closed)
    client.connect(config)
  })
}

type ConnectError = Error & { level?: string; code?: string }

function describeConnectError(err: ConnectError, target: SshTarget, auth: AuthPlan): string {
  if (err.level === 'client-authentication') return `authentication failed for ${target.user}@${target.address} (tried: ${auth.tried})`
  if (err.level === 'client-timeout') return `connect timeout after ${target.connectTimeoutMs / 1000}s`
  if (err.code === 'ECONNREFUSED') return `connection refused by ${target.address}:${target.port}`
  return `cannot connect to ${target.address}:${target.port}: ${err.message}`
}

class SshConnection implements Connection {
  readonly host: string
  private readonly runner: Runner
  private readonly session: ShellSession
  private readonly limit = pLimit(CHANNELS_PER_CONNECTION)
  private readonly killLimit = pLimit(KILL_CHANNELS)
  private state: 'open' | 'closing' | 'lost' = 'open'
  private lostReason = 'connection closed by the remote host'

  constructor(
    target: SshTarget,
    private readonly client: Client,
  ) {
    this.host = target.name
    this.runner = {
      spawn: (argv) => this.openChannel(argv),
      loginUser: target.user,
      become: target.become,
      killSlot: (task) => this.killLimit(task),
    }
    this.session = new ShellSession(this.runner)
    client.on('error', (err: Error) => (this.lostReason = `connection lost (${err.message})`))
    client.on('close', () => {
      if (this.state === 'open') this.state = 'lost'
    })
  }

  exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    if (this.state !== 'open') return Promise.reject(this.gone())
    if (this.session.accepts(opts)) return this.session.run(command, opts).catch((err: Error) => this.settled(err))
    return this.limit(() => runCommand(this.runner, command, opts))
  }

  // A session that broke because the link went down reports the host unreachable, once ssh2 has said so.
  private async settled(err: Error): Promise<never> {
    for (let i = 0; i < 10 && this.state === 'open' && !(err instanceof UnreachableError); i++) await delay(20)
    throw this.state === 'open' ? err : this.gone()
  }

  async close(): Promise<void> {
    if (this.state === 'closing') return
    this.state = 'closing'
    this.session.close()
    const closed = once(this.client, 'close').catch(() => undefined)
    this.client.end()
    await Promise.race([closed, delay(CLOSE_WAIT_MS)])
    this.client.destroy()
  }

  // Why a command cannot run: closed by us (plain error) or lost (the host counts as unreachable).
  private gone(): Error {
    if (this.state === 'closing') return new Error(`${this.host}: connection closed`)
    return new UnreachableError(`${this.host}: ${this.lostReason}`)
  }

  private openChannel(argv: string[]): Promise<Started> {
    return new Promise((resolve, reject) => {
      if (this.state !== 'open') return reject(this.gone())
      try {
        this.client.exec(shellLine(argv), (err, channel) => {
          if (!err) resolve(this.started(channel))
          else if (this.state === 'open') reject(new Error(`${this.host}: cannot open an SSH channel (${err.message})`))
          else reject(this.gone())
        })
      } catch {
        reject(this.gone())
      }
    })
  }

  private started(channel: ClientChannel): Started {
    channel.on('error', () => undefined) // transport failures surface through the connection's close
    const exit = new Promise<number>((resolve, reject) => {
      let code: number | undefined
      channel.once('exit', (status: number | null, signal?: NodeJS.Signals) => {
        code = status ?? 128 + (signal ? constants.signals[signal] : 0)
      })
      channel.once('close', () => {
        if (code !== undefined) resolve(code)
        else if (this.state === 'open') reject(new Error(`${this.host}: the command ended without an exit status`))
        else reject(this.gone())
      })
    })
    return { stdin: channel, stdout: channel, stderr: channel.stderr, exit, abandon: () => channel.close() }
  }
}
