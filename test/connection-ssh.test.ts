import test from 'ava'
import { execFileSync, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, connect as tcpConnect } from 'node:net'
import type { Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { quote } from 'zx'
import { connectSsh } from '../src/connection/ssh.ts'
import { UnreachableError } from '../src/connection/types.ts'
import type { Connection, SshTarget } from '../src/connection/types.ts'
import { pgrep } from './helpers/processes.ts'

// Each test gets its own sshd on 127.0.0.1 (own config, host key and log), so tests stay independent.
interface Sshd {
  dir: string
  port: number
  log: string
  knownHosts: string
  hostKeyLine(): string
  stop(): Promise<void>
  start(): Promise<void>
}

const root = mkdtempSync(join(tmpdir(), 'labplay-ssh-'))
const clientKey = join(root, 'client')
const wrongKey = join(root, 'wrong')
const home = join(root, 'home')
const daemons: Sshd[] = []
const listeners: Server[] = []

// No ssh-agent and no ~/.ssh of this machine: each test says how it authenticates.
process.env.HOME = home
delete process.env.SSH_AUTH_SOCK

test.before(() => {
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }) // sshd's privilege separation directory
  mkdirSync(join(home, '.ssh'), { recursive: true })
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', clientKey])
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', wrongKey])
})

test.after.always(async () => {
  await Promise.all(daemons.map((d) => d.stop()))
  for (const server of listeners) server.close()
  rmSync(root, { recursive: true, force: true })
})

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

// Resolves once the port answers with an SSH banner; fails after 5 s.
async function waitForBanner(port: number): Promise<void> {
  const deadline = Date.now() + 5000
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = tcpConnect(port, '127.0.0.1')
      socket.setTimeout(500, () => (socket.destroy(), resolve(false)))
      socket.once('data', (data) => (socket.destroy(), resolve(data.toString().startsWith('SSH-'))))
      socket.once('error', () => resolve(false))
    })
    if (ok) return
    await delay(50)
  }
  throw new Error(`sshd on port ${port} did not start`)
}

// Every process below pid (sshd forks a process per connection, each in a session of its own).
function descendants(pid: number): number[] {
  const table = execFileSync('ps', ['-e', '-o', 'pid=,ppid=']).toString().trim().split('\n')
  const pairs = table.map((line) => line.trim().split(/\s+/).map(Number) as [number, number])
  const found: number[] = []
  for (let frontier = [pid]; frontier.length; ) {
    frontier = pairs.filter(([, ppid]) => frontier.includes(ppid)).map(([child]) => child)
    found.push(...frontier)
  }
  return found
}

// sshd -D on a free loopback port, in a mount namespace whose /etc/passwd gives root a home in the
// test folder (no ~/.bashrc of this machine) and the chosen login shell.
async function startSshd(opts: { loginShell?: string } = {}): Promise<Sshd> {
  const dir = mkdtempSync(join(root, 'sshd-'))
  const port = await freePort()
  const hostKey = join(dir, 'host_ed25519')
  const config = join(dir, 'sshd_config')
  const log = join(dir, 'sshd.log')
  const passwd = join(dir, 'passwd')
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${clientKey}.pub`,
      'UsePAM no',
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'StrictModes no',
      'MaxSessions 20',
      'LogLevel VERBOSE',
      '',
    ].join('\n'),
  )
  const rootEntry = `root:x:0:0:root:${dir}:${opts.loginShell ?? '/bin/bash'}`
  writeFileSync(passwd, readFileSync('/etc/passwd', 'utf8').replace(/^root:.*$/m, rootEntry))
  const argv = ['unshare', '--mount', 'sh', '-c', 'mount --bind "$0" /etc/passwd && exec "$@"', passwd]
  argv.push('/usr/sbin/sshd', '-D', '-f', config, '-E', log)
  let daemon: ChildProcess | undefined
  const sshd: Sshd = {
    dir,
    port,
    log,
    knownHosts: join(dir, 'known_hosts'),
    hostKeyLine: () => readFileSync(`${hostKey}.pub`, 'utf8').split(' ').slice(0, 2).join(' '),
    async start() {
      rmSync(hostKey, { force: true })
      rmSync(`${hostKey}.pub`, { force: true })
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey])
      daemon = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore' })
      await waitForBanner(port)
    },
    async stop() {
      if (!daemon?.pid || daemon.exitCode !== null) return
      const exited = new Promise((resolve) => daemon!.once('exit', resolve))
      for (const pid of [daemon.pid, ...descendants(daemon.pid)]) {
        try {
          process.kill(pid, 'SIGKILL')
        } catch {
          // already gone
        }
      }
      await Promise.race([exited, delay(5000)])
    },
  }
  daemons.push(sshd)
  await sshd.start()
  return sshd
}

function target(sshd: Pick<Sshd, 'port' | 'knownHosts'>, over: Partial<SshTarget> = {}): SshTarget {
  return {
    name: 'lab-1',
    address: '127.0.0.1',
    port: sshd.port,
    user: 'root',
    privateKeyFile: clientKey,
    knownHostsFile: sshd.knownHosts,
    hostKeyChecking: 'accept-new',
    connectTimeoutMs: 5000,
    ...over,
  }
}

async function withConnection<T>(t: SshTarget, body: (c: Connection) => Promise<T>): Promise<T> {
  const connection = await connectSsh(t)
  try {
    return await body(connection)
  } finally {
    await connection.close()
  }
}

// Retries a check that throws until it passes, for at most 5 s.
async function waitFor(check: () => unknown): Promise<void> {
  for (const deadline = Date.now() + 5000; ; await delay(50)) {
    try {
      check()
      return
    } catch (err) {
      if (Date.now() > deadline) throw err
    }
  }
}

test('exec returns stdout, stderr and the exit code exactly, streaming output as it comes', async (t) => {
  const sshd = await startSshd()
  await withConnection(target(sshd), async (c) => {
    t.deepEqual(await c.exec('printf "  out \\n\\n"; echo err >&2; exit 3'), { code: 3, stdout: '  out \n\n', stderr: 'err\n' })
    t.is((await c.exec("printf '\\xc3'; sleep 0.1; printf '\\xa9'")).stdout, 'é')
    const chunks: Array<[string, number]> = []
    const started = Date.now()
    const result = await c.exec('echo first; sleep 0.6; echo second', { onStdout: (s) => chunks.push([s, Date.now() - started]) })
    t.is(result.stdout, 'first\nsecond\n')
    t.is(chunks[0]![0], 'first\n')
    t.true(chunks[0]![1] < 500, 'the first chunk arrives before the command ends')
    t.deepEqual(await c.exec('cat', { stdin: 'ünïcode\n' }), { code: 0, stdout: 'ünïcode\n', stderr: '' })
  })
})

test('5 MB of binary stdin reaches the command intact', async (t) => {
  const sshd = await startSshd()
  const data = randomBytes(5 * 1024 * 1024)
  const expected = createHash('sha256').update(data).digest('hex')
  await withConnection(target(sshd), async (c) => {
    const result = await c.exec('sha256sum | cut -d" " -f1; wc -c', { stdin: data })
    t.is(result.stdout.split('\n')[0], expected)
  })
})

test('30 concurrent commands share one connection', async (t) => {
  const sshd = await startSshd()
  await withConnection(target(sshd), async (c) => {
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => c.exec(`sleep 0.2; echo ${i}`)))
    t.deepEqual(results.map((r) => r.stdout), Array.from({ length: 30 }, (_, i) => `${i}\n`))
  })
  t.is(readFileSync(sshd.log, 'utf8').match(/Accepted publickey/g)?.length, 1)
})

test('commands run under bash whatever the login shell is', async (t) => {
  const sshd = await startSshd({ loginShell: '/bin/sh' })
  await withConnection(target(sshd), async (c) => {
    t.is((await c.exec('getent passwd root | cut -d: -f7')).stdout, '/bin/sh\n', 'the login shell is dash')
    t.regex((await c.exec('echo "$BASH_VERSION"')).stdout, /^5\./)
    const value = "it's a $HOME `x` \\ \n\ttab"
    t.is((await c.exec(`printf %s ${quote(value)}`)).stdout, value)
    t.is((await c.exec('echo $0')).stdout, 'labplay\n')
  })
})

test('become root as root runs without sudo', async (t) => {
  const sshd = await startSshd()
  await withConnection(target(sshd, { become: { user: 'root' } }), async (c) => {
    t.deepEqual(await c.exec('id -un'), { code: 0, stdout: 'root\n', stderr: '' })
  })
})

test('a timeout kills the remote command and its children', async (t) => {
  const sshd = await startSshd()
  await withConnection(target(sshd), async (c) => {
    const started = Date.now()
    const result = await c.exec('sleep 4711 & sleep 4712; echo never', { timeoutMs: 500 })
    t.is(result.code, 124)
    t.is(result.stdout, '')
    t.regex(result.stderr, /timed out after 0.5s/)
    t.true(Date.now() - started < 3000)
    t.is(pgrep('sleep 471[12]'), '')
    t.is((await c.exec('echo still usable')).stdout, 'still usable\n')
  })
})

test('twelve commands timing out together are all killed, the connection stays usable', async (t) => {
  const sshd = await startSshd()
  await withConnection(target(sshd), async (c) => {
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => c.exec(`sleep ${4800 + i}`, { timeoutMs: 400 })))
    t.deepEqual(results.map((r) => r.code), Array(12).fill(124))
    t.is(pgrep('sleep 48(0[0-9]|1[01])'), '')
    t.is((await c.exec('echo ok')).stdout, 'ok\n')
  })
})

test('an abort signal kills the remote command', async (t) => {
  const sshd = await startSshd()
  await withConnection(target(sshd), async (c) => {
    const abort = new AbortController()
    setTimeout(() => abort.abort(), 300)
    const result = await c.exec('echo started; sleep 4713', { signal: abort.signal })
    t.is(result.code, 124)
    t.is(result.stdout, 'started\n')
    t.regex(result.stderr, /aborted/)
    t.is(pgrep('sleep 4713'), '')
  })
})

test('accept-new records an unknown host key, then the recorded key matches under strict', async (t) => {
  const sshd = await startSshd()
  await withConnection(target(sshd), async (c) => t.is((await c.exec('echo ok')).code, 0))
  t.is(readFileSync(sshd.knownHosts, 'utf8'), `[127.0.0.1]:${sshd.port} ${sshd.hostKeyLine()}\n`)
  await withConnection(target(sshd, { hostKeyChecking: 'strict' }), async (c) => t.is((await c.exec('echo ok')).code, 0))
  t.is(readFileSync(sshd.knownHosts, 'utf8').split('\n').length, 2, 'nothing appended the second time')
})

test('strict refuses an unknown host and records nothing', async (t) => {
  const sshd = await startSshd()
  const error = await t.throwsAsync(connectSsh(target(sshd, { hostKeyChecking: 'strict' })), { instanceOf: UnreachableError })
  t.regex(error!.message, /^lab-1: host key of 127\.0\.0\.1:\d+ is not known \(ssh-ed25519 key SHA256:/)
  t.throws(() => readFileSync(sshd.knownHosts))
})

test('off accepts any key and records nothing', async (t) => {
  const sshd = await startSshd()
  writeFileSync(sshd.knownHosts, `[127.0.0.1]:${sshd.port} ssh-ed25519 ${randomBytes(51).toString('base64')}\n`)
  await withConnection(target(sshd, { hostKeyChecking: 'off' }), async (c) => t.is((await c.exec('echo ok')).code, 0))
  t.is(readFileSync(sshd.knownHosts, 'utf8').split('\n').length, 2)
})

test('a changed host key is refused, naming the known_hosts line, before logging in', async (t) => {
  const sshd = await startSshd()
  writeFileSync(sshd.knownHosts, '# lab hosts\nother.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n')
  await withConnection(target(sshd), async (c) => t.is((await c.exec('echo ok')).code, 0))
  await sshd.stop()
  await sshd.start()
  const error = await t.throwsAsync(connectSsh(target(sshd)), { instanceOf: UnreachableError })
  t.regex(error!.message, /REMOTE HOST IDENTIFICATION HAS CHANGED/)
  t.true(error!.message.includes(`${sshd.knownHosts}:3`), error!.message)
  t.is(readFileSync(sshd.log, 'utf8').match(/Accepted publickey/g)?.length, 1, 'no login after the key changed')
})

test('a key the server does not accept is an authentication failure', async (t) => {
  const sshd = await startSshd()
  const error = await t.throwsAsync(connectSsh(target(sshd, { privateKeyFile: wrongKey })), { instanceOf: UnreachableError })
  t.is(error!.message, `lab-1: authentication failed for root@127.0.0.1 (tried: key file ${wrongKey})`)
  const missing = await t.throwsAsync(connectSsh(target(sshd, { privateKeyFile: join(root, 'nope') })), { instanceOf: UnreachableError })
  t.is(missing!.message, `lab-1: cannot read private key ${join(root, 'nope')} (ENOENT)`)
})

test('without a key file, ssh-agent then the default keys in ~/.ssh are tried', async (t) => {
  const sshd = await startSshd()
  const noKeyFile = target(sshd, { privateKeyFile: undefined })
  const error = await t.throwsAsync(connectSsh(noKeyFile), { instanceOf: UnreachableError })
  t.regex(error!.message, /authentication failed for root@127\.0\.0\.1 \(tried: nothing: no ssh-agent and no id_ed25519\/id_ecdsa\/id_rsa in /)

  const socket = join(root, 'agent.sock')
  const agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' })
  try {
    await waitFor(() => execFileSync('test', ['-S', socket]))
    execFileSync('ssh-add', ['-q', clientKey], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'ignore' })
    process.env.SSH_AUTH_SOCK = socket
    await withConnection(noKeyFile, async (c) => t.is((await c.exec('echo agent')).stdout, 'agent\n'))
  } finally {
    delete process.env.SSH_AUTH_SOCK
    agent.kill()
  }

  writeFileSync(join(home, '.ssh', 'id_rsa'), readFileSync(wrongKey), { mode: 0o600 })
  writeFileSync(join(home, '.ssh', 'id_ed25519'), readFileSync(clientKey), { mode: 0o600 })
  await withConnection(noKeyFile, async (c) => t.is((await c.exec('echo default key')).stdout, 'default key\n'))
  writeFileSync(join(home, '.ssh', 'id_ed25519'), readFileSync(wrongKey), { mode: 0o600 })
  const both = await t.throwsAsync(connectSsh(noKeyFile), { instanceOf: UnreachableError })
  t.true(both!.message.endsWith(`(tried: key file ${home}/.ssh/id_ed25519, key file ${home}/.ssh/id_rsa)`), both!.message)
})

test('a listener that never speaks SSH fails within connectTimeoutMs', async (t) => {
  const server = createServer(() => undefined)
  listeners.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  const started = Date.now()
  const error = await t.throwsAsync(
    connectSsh(target({ port, knownHosts: join(root, 'none') }, { connectTimeoutMs: 1000 })),
    { instanceOf: UnreachableError },
  )
  t.is(error!.message, 'lab-1: connect timeout after 1s')
  t.true(Date.now() - started < 5000, "well before ssh2's default of 20 s")
})

test('a refused port is unreachable', async (t) => {
  const port = await freePort()
  const error = await t.throwsAsync(connectSsh(target({ port, knownHosts: join(root, 'none') })), {
    instanceOf: UnreachableError,
  })
  t.is(error!.message, `lab-1: connection refused by 127.0.0.1:${port}`)
})

test('sshd killed mid-command makes the command reject as unreachable', async (t) => {
  const sshd = await startSshd()
  const c = await connectSsh(target(sshd))
  const running = c.exec('sleep 4714')
  await delay(300)
  await sshd.stop()
  await t.throwsAsync(Promise.race([running, delay(10_000).then(() => 'still running')]), { instanceOf: UnreachableError })
  await t.throwsAsync(c.exec('echo again'), { instanceOf: UnreachableError })
  await c.close()
})

test('exec after close rejects', async (t) => {
  const sshd = await startSshd()
  const c = await connectSsh(target(sshd))
  await c.close()
  await t.throwsAsync(c.exec('echo late'), { message: 'lab-1: connection closed' })
})
