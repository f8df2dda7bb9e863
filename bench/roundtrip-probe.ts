import { readFileSync } from 'node:fs'
import { Client } from 'ssh2'
import { bashArgv, shellLine } from '../src/connection/bash.ts'
import type { Runner, Started } from '../src/connection/exec.ts'
import { ShellSession } from '../src/connection/session.ts'

// Runs inside the lab's controller namespace (bench/roundtrip.ts starts it there): over ONE ssh2 connection
// to one seat, the cost of a round trip done three ways. Prints JSON: ms per operation for each way.
const [address, keyFile, knownHosts, countArg] = process.argv.slice(2)
const count = Number(countArg ?? 40)

function knownKey(): Buffer {
  const line = readFileSync(knownHosts!, 'utf8').split('\n').find((l) => l.startsWith(`${address} `))
  if (!line) throw new Error(`${address} is not in ${knownHosts}`)
  return Buffer.from(line.split(' ')[2]!, 'base64')
}

function connect(): Promise<Client> {
  const want = knownKey()
  return new Promise((resolve, reject) => {
    const c = new Client()
    c.once('ready', () => resolve(c)).once('error', reject)
    c.connect({
      host: address!, port: 22, username: 'root', readyTimeout: 20_000, keepaliveInterval: 0, keepaliveCountMax: 0,
      authHandler: [{ type: 'publickey', username: 'root', key: readFileSync(keyFile!) }],
      hostVerifier: (key, verify) => verify(key.equals(want)),
    })
  })
}

function exec(c: Client, cmd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    c.exec(cmd, (err, ch) => {
      if (err) return reject(err)
      ch.on('data', () => undefined).stderr.on('data', () => undefined)
      ch.once('close', () => resolve())
    })
  })
}

const STAT = "stat --printf '%F\\t%a\\t%u\\t%U\\t%g\\t%G\\t%s\\n' -- /etc/samba/smb.conf && sha256sum </etc/samba/smb.conf"

async function timeIt(label: string, n: number, fn: () => Promise<void>): Promise<[string, number]> {
  const t = performance.now()
  await fn()
  return [label, (performance.now() - t) / n]
}

const t0 = performance.now()
const c = await connect()
const connectMs = performance.now() - t0
const results: Array<[string, number]> = [['connect + auth (once per host)', connectMs]]
// labplay's own session (src/connection/session.ts) over an exec channel of this connection.
function channel(c: Client, argv: string[]): Promise<Started> {
  return new Promise((resolve, reject) => c.exec(shellLine(argv), (err, ch) => {
    if (err) return reject(err)
    const exit = new Promise<number>((done) => ch.once('exit', (code: number | null) => done(code ?? 255)))
    resolve({ stdin: ch, stdout: ch, stderr: ch.stderr, exit, abandon: () => ch.destroy() })
  }))
}
const runner: Runner = { spawn: (argv) => channel(c, argv), loginUser: 'root', killSlot: (task) => task() }
const session = new ShellSession(runner)
await session.run('true', {})
results.push(await timeIt("labplay's session: one long-lived remote bash, a forked subshell per probe (labplay today)", count, async () => {
  for (let i = 0; i < count; i++) await session.run(STAT, {})
}))
session.close()
results.push(await timeIt("exec channel per probe through labplay's process-group wrapper, one at a time (labplay before the session)", count, async () => {
  for (let i = 0; i < count; i++) await exec(c, shellLine(bashArgv(STAT)))
}))
results.push(await timeIt('exec channel per probe, bare command, one at a time', count, async () => {
  for (let i = 0; i < count; i++) await exec(c, STAT)
}))
results.push(await timeIt('exec channel per probe, 8 at a time', count, async () => {
  for (let i = 0; i < count; i += 8) await Promise.all(Array.from({ length: Math.min(8, count - i) }, () => exec(c, STAT)))
}))
results.push(await timeIt('one long-lived bash, probes written to its stdin one at a time', count, () => new Promise<void>((resolve, reject) => {
  c.exec('bash', (err, ch) => {
    if (err) return reject(err)
    let buf = ''
    let i = 0
    const next = () => (i === count ? ch.end() : ch.write(`${STAT}; echo "__done ${i} $?"\n`))
    ch.on('data', (d: Buffer) => {
      buf += d.toString()
      if (buf.includes(`__done ${i} `)) { buf = ''; i++; next() }
    })
    ch.once('close', () => resolve())
    next()
  })
})))
results.push(await timeIt('all probes in one script (the floor)', count, () => exec(c, Array.from({ length: count }, () => STAT).join('\n'))))
c.end()
console.log(JSON.stringify(results))
