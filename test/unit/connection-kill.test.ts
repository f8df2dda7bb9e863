import test from 'ava'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { abortedBeforeStart, KILLED, killedResult, killGroupScript, stopRequest } from '../../src/connection/kill.ts'
import { bash } from './primitive-harness.ts'

// How a stopped command ends, the same over an exec channel and in the shell session.

const killed = test.macro({
  exec(t, stderr: string, want: string) {
    t.deepEqual(killedResult('timed out after 2s', 'out', stderr), { code: KILLED, stdout: 'out', stderr: want })
  },
  title: (_ = '', stderr: string) => `a killed command's note follows stderr ${JSON.stringify(stderr)} on a line of its own`,
})
test(killed, '', 'labplay: timed out after 2s; the command was killed\n')
test(killed, 'err\n', 'err\nlabplay: timed out after 2s; the command was killed\n')
test(killed, 'half a line', 'half a line\nlabplay: timed out after 2s; the command was killed\n')

test('a command aborted before it started says so, with the killed exit code', (t) => {
  t.deepEqual(abortedBeforeStart(), { code: 124, stdout: '', stderr: 'labplay: aborted before the command started\n' })
})

test('stopRequest: the timeout or the abort signal, whichever comes first; disposed, neither', async (t) => {
  const timed = stopRequest({ timeoutMs: 20 })
  t.is(await timed.reason, 'timed out after 0.02s')
  timed.dispose()
  const abort = new AbortController()
  const aborted = stopRequest({ timeoutMs: 60_000, signal: abort.signal })
  abort.abort()
  t.is(await aborted.reason, 'aborted')
  aborted.dispose()
  const quiet = stopRequest({ timeoutMs: 20 })
  quiet.dispose()
  t.is(await Promise.race([quiet.reason, new Promise((resolve) => setTimeout(resolve, 100, 'nothing'))]), 'nothing')
})

test('killGroupScript: TERM reaches the whole group, so its traps run', async (t) => {
  const group = spawn('bash', ['-c', 'trap "echo trapped; exit 0" TERM; sleep 30 & echo ready; wait'], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] })
  t.teardown(() => void (group.exitCode === null && process.kill(-group.pid!, 'SIGKILL')))
  let out = ''
  const ready = new Promise((resolve) => group.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()).startsWith('ready\n') && resolve(undefined)))
  await ready
  const exited = once(group, 'exit')
  t.is(bash(killGroupScript(group.pid!)).code, 0)
  await exited
  t.is(out, 'ready\ntrapped\n')
  t.is(bash(`kill -0 -- -${group.pid} 2>/dev/null`).code, 1, 'nothing of the group is left')
})
