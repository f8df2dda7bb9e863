import test from 'ava'
import { execFileSync } from 'node:child_process'
import { userInfo } from 'node:os'
import { OutputLimitError } from '../../src/connection/output-limit.ts'
import { ShellSession } from '../../src/connection/session.ts'
import { spawnLocal } from '../../src/connection/local.ts'
import type { Runner } from '../../src/connection/exec.ts'

// The session's framing, against a local bash (the same loop runs over SSH): what a command prints,
// whatever it prints, comes back byte for byte, and one command never bleeds into the next.
function session(spawn: Runner['spawn'] = spawnLocal): ShellSession {
  const runner: Runner = { spawn, loginUser: userInfo().username, killSlot: (task) => task() }
  return new ShellSession(runner)
}

test('stdout, stderr and exit codes come back exactly, command after command', async (t) => {
  const s = session()
  t.teardown(() => s.close())
  t.deepEqual(await s.run('echo out; echo err >&2; exit 3', {}), { code: 3, stdout: 'out\n', stderr: 'err\n' })
  t.deepEqual(await s.run('printf "no newline"; printf "e" >&2', {}), { code: 0, stdout: 'no newline', stderr: 'e' })
  t.deepEqual(await s.run('', {}), { code: 0, stdout: '', stderr: '' })
  t.deepEqual(await s.run('printf "\\n\\n"', {}), { code: 0, stdout: '\n\n', stderr: '' })
  for (let i = 0; i < 50; i++) t.is((await s.run(`echo ${i}`, {})).stdout, `${i}\n`)
})

test('what the login prints before the loop starts (a noisy .bashrc) is nobody\'s output', async (t) => {
  const noisy = session((argv) => spawnLocal(['bash', '-c', 'echo login noise; printf "more" >&2; exec "$@"', 'login', ...argv]))
  t.teardown(() => noisy.close())
  t.deepEqual(await noisy.run('echo first; echo first-err >&2', {}), { code: 0, stdout: 'first\n', stderr: 'first-err\n' })
})

test('scripts with multibyte characters, quotes and a syntax error', async (t) => {
  const s = session()
  t.teardown(() => s.close())
  const text = 'héllo wörld € 日本 \'"$`\\'
  t.is((await s.run(`printf '%s' ${JSON.stringify(text).replaceAll('$', '\\$').replaceAll('`', '\\`')}`, {})).stdout, text)
  const bad = await s.run('if then fi', {})
  t.is(bad.code, 2)
  t.regex(bad.stderr, /syntax error/)
  t.is((await s.run('echo still here', {})).stdout, 'still here\n')
})

test('a script past the read limit and binary stdin both arrive intact', async (t) => {
  const s = session()
  t.teardown(() => s.close())
  const long = `x='${'a'.repeat(100_000)}'; printf '%s' "\${#x}"`
  t.is((await s.run(long, {})).stdout, '100000')
  const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) % 256))
  const got = await s.run('od -An -v -tx1 | tr -d " \\n"', { stdin: bytes })
  t.is(got.stdout, bytes.toString('hex'))
})

test('megabytes of output, with the byte values of the frame markers, are returned whole', async (t) => {
  const s = session()
  t.teardown(() => s.close())
  const big = await s.run('head -c 3000000 /dev/zero | tr "\\0" "R"; printf "\\nS 1 2\\nR 0\\nE\\n"', {})
  t.is(big.stdout.length, 3_000_000 + 13)
  t.true(big.stdout.endsWith('\nS 1 2\nR 0\nE\n'))
  t.is((await s.run('echo next', {})).stdout, 'next\n')
})

test('commands see none of the loop variables, not even the frame marker, and $0 is labplay', async (t) => {
  const s = session()
  t.teardown(() => s.close())
  const seen = await s.run('echo "$0|${__m-unset}|${__d-unset}|${__id-unset}"; compgen -v | grep "^__" || true', {})
  t.is(seen.stdout, 'labplay|unset|unset|unset\n__c\n') // only __c, the script itself
})

test('a command holding NUL bytes is refused, and the session goes on', async (t) => {
  const s = session()
  t.teardown(() => s.close())
  t.is((await s.run('echo a\0b', {})).code, 2)
  t.is((await s.run('echo ok', {})).stdout, 'ok\n')
})

test('a timed-out command and its children are killed; the session answers the next one', async (t) => {
  const s = session()
  t.teardown(() => s.close())
  const started = Date.now()
  const slow = await s.run('sleep 30 & sleep 30; echo never', { timeoutMs: 300 })
  t.is(slow.code, 124)
  t.regex(slow.stderr, /timed out/)
  t.true(Date.now() - started < 10_000)
  t.is((await s.run('echo after', {})).stdout, 'after\n')
})

function running(pattern: string): string {
  try {
    return execFileSync('pgrep', ['-f', pattern]).toString()
  } catch {
    return ''
  }
}

const MiB = 1024 * 1024

test('stdout past the cap: the command and its children are killed, nothing is kept, the session goes on', async (t) => {
  const s = session()
  t.teardown(() => s.close())
  const started = Date.now()
  await t.throwsAsync(s.run('sleep 5731 & yes labplay-cap-5731', { maxOutputBytes: MiB, timeoutMs: 30_000 }), { instanceOf: OutputLimitError, message: 'output exceeded 1 MiB' })
  t.true(Date.now() - started < 10_000)
  t.is(running('yes labplay-cap-5731'), '')
  t.is(running('sleep 5731'), '')
  t.deepEqual(await s.run('echo after; echo err >&2', {}), { code: 0, stdout: 'after\n', stderr: 'err\n' })
})

test('stderr counts as it arrives: an endless stderr is stopped by the cap, not by the timeout', async (t) => {
  const s = session()
  t.teardown(() => s.close())
  await t.throwsAsync(s.run('yes labplay-cap-5732 >&2', { maxOutputBytes: MiB, timeoutMs: 30_000 }), { instanceOf: OutputLimitError })
  t.is(running('yes labplay-cap-5732'), '')
  t.is((await s.run('echo next', {})).stdout, 'next\n')
})

test('the cap is on stdout and stderr together, and output exactly at the cap comes back whole', async (t) => {
  const s = session()
  t.teardown(() => s.close())
  const half = 'head -c 524288 /dev/zero | tr "\\0" o; head -c 524288 /dev/zero | tr "\\0" e >&2'
  const whole = await s.run(half, { maxOutputBytes: MiB })
  t.is(whole.stdout, 'o'.repeat(512 * 1024))
  t.is(whole.stderr, 'e'.repeat(512 * 1024))
  await t.throwsAsync(s.run(`${half}; echo one more byte`, { maxOutputBytes: MiB }), { instanceOf: OutputLimitError })
  t.is((await s.run('echo still here', {})).stdout, 'still here\n')
})

test.serial('1 GiB on one line against the default cap: refused within seconds, the controller holds little of it', async (t) => {
  const s = session()
  t.teardown(() => s.close())
  const before = process.memoryUsage().rss
  const started = Date.now()
  await t.throwsAsync(s.run("head -c 1073741823 /dev/zero | tr '\\0' a", {}), { instanceOf: OutputLimitError, message: 'output exceeded 16 MiB' })
  t.true(Date.now() - started < 20_000)
  const grown = (process.memoryUsage().rss - before) / MiB
  t.true(grown < 100, `rss grew by ${grown.toFixed(0)} MiB`)
  t.is(running('head -c 1073741823'), '')
})
