import { once } from 'node:events'
import { constants } from 'node:os'
import { setTimeout as delay } from 'node:timers/promises'
import pLimit from 'p-limit'
import type { Duplex } from 'node:stream'
import { NodeSSH } from 'node-ssh'
import type { Client, ClientChannel } from 'ssh2'
import { authPlan } from './auth.ts'
import type { AuthPlan } from './auth.ts'
import { shellLine } from './bash.ts'
import { runCommand } from './exec.ts'
import { leaseJump, type JumpLease } from './jump.ts'
import { ShellSession } from './session.ts'
import type { Runner, Started } from './exec.ts'
import { checkHostKey, hostKeyAlgorithms } from './known-hosts.ts'
import { UnreachableError } from './types.ts'
import type { Connection, ExecOptions, ExecResult, SshHop, SshTarget } from './types.ts'

// OpenSSH's MaxSessions defaults to 10 channels a connection: the shell session, 7 for commands, 2 kept
// for killing timed-out ones.
const CHANNELS_PER_CONNECTION = 7
const KILL_CHANNELS = 2
// A dead link is noticed after about 15 s of silence.
const KEEPALIVE_INTERVAL_MS = 5000
const KEEPALIVE_COUNT_MAX = 3
const CLOSE_WAIT_MS = 2000

// Opens the one SSH connection a host gets for the whole run, through its jump hosts if it has any
// (ProxyJump: one shared connection per jump host); any failure to get there is UnreachableError.
export async function connectSsh(target: SshTarget): Promise<Connection> {
  const hops = target.via ?? []
  const lease = hops.length ? await leaseJump(hops, login).catch((err: Error) => {
    throw new UnreachableError(`${target.name}: ${err.message}`)
  }) : undefined
  try {
    const sock = lease ? await forwardTo(lease.client, target) : undefined
    const client = await login(target, sock)
    return new SshConnection(target, client, lease)
  } catch (err) {
    lease?.release()
    if (err instanceof UnreachableError) throw new UnreachableError(`${target.name}: ${err.message}`)
    throw err
  }
}

// One SSH login with node-ssh (ssh2 underneath): key, agent or password; the host key checked against
// known_hosts inside the handshake, before authentication. Resolves to the ssh2 client for the session.
export async function login(hop: SshHop, sock?: Duplex): Promise<Client> {
  const auth = await authPlan(hop)
  const algorithms = await hostKeyAlgorithms(hop.knownHostsFile, hop.address, hop.port)
  const ssh = new NodeSSH()
  let refusal: string | undefined
  const connecting = ssh.connect({
    host: hop.address,
    port: hop.port,
    username: hop.user,
    readyTimeout: hop.connectTimeoutMs,
    keepaliveInterval: hop.keepaliveIntervalMs ?? KEEPALIVE_INTERVAL_MS,
    keepaliveCountMax: hop.keepaliveCountMax ?? KEEPALIVE_COUNT_MAX,
    authHandler: auth.methods,
    ...(sock && { sock }),
    ...(algorithms && { algorithms: { serverHostKey: algorithms } }),
    hostVerifier: (key, verify) => {
      checkHostKey(hop.knownHostsFile, hop.address, hop.port, key, hop.hostKeyChecking).then(
        (check) => {
          if (!check.accepted) refusal = check.reason
          verify(check.accepted)
        },
        (err: Error) => {
          refusal = `cannot check the host key against ${hop.knownHostsFile}: ${err.message}`
          verify(false)
        },
      )
    },
  })
  // node-ssh makes the client before its first await; it stays ours whatever becomes of the login.
  const client = ssh.connection as unknown as Client
  try {
    await connecting
  } catch (err) {
    client.destroy()
    throw new UnreachableError(refusal ?? describeConnectError(err as ConnectError, hop, auth))
  }
  // Errors reach callers through the connection's close; a late one must not crash the run.
  client.on('error', () => undefined)
  return client
}

// A channel from the jump host to the target's sshd, bounded by the target's connect timeout.
function forwardTo(jump: Client, target: SshHop): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new UnreachableError(`connect timeout after ${target.connectTimeoutMs / 1000}s (through the jump host)`)), target.connectTimeoutMs)
    try {
      jump.forwardOut('127.0.0.1', 0, target.address, target.port, (err, channel) => {
        clearTimeout(timer)
        if (err) reject(new UnreachableError(`the jump host cannot reach ${target.address}:${target.port} (${err.message})`))
        else resolve(channel)
      })
    } catch (err) {
      clearTimeout(timer)
      reject(new UnreachableError(`the jump host connection is gone (${(err as Error).message})`))
    }
  })
}

type ConnectError = Error & { level?: string; code?: string }

function describeConnectError(err: ConnectError, target: SshHop, auth: AuthPlan): string {
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
    private readonly jump?: JumpLease,
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
    this.jump?.release()
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
