import test from 'ava'
import { execFileSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connectLocal } from '../src/connection/local.ts'
import { OutputLimitError } from '../src/connection/output-limit.ts'
import { pgrep } from './helpers/processes.ts'

const dir = mkdtempSync(join(tmpdir(), 'labplay-local-'))
test.after.always(() => rmSync(dir, { recursive: true, force: true }))

// A stand-in for sudo (not installed here, and root never needs a password): it checks the flags labplay
// passes, reads a -S password the way sudo does (one line), skips reading it for the user "cached"
// (credentials still valid), and runs the command as the caller with FAKE_SUDO_* telling what happened.
const PASSWORD = "s3cret pa$$ 'word"
writeFileSync(
  join(dir, 'sudo'),
  `#!/bin/bash
flags=
while [ "$1" != -- ]; do
  case "$1" in -u) shift; user=$1 ;; -p) shift; flags="$flags -p'$1'" ;; *) flags="$flags $1" ;; esac
  shift
done
shift
if [[ $flags == *-S* && $user != cached ]]; then
  IFS= read -r password
  [ "$password" = ${JSON.stringify(PASSWORD).replaceAll('$', '\\$')} ] || { echo 'Sorry, try again.' >&2; exit 1; }
fi
FAKE_SUDO_USER=$user FAKE_SUDO_FLAGS=$flags exec "$@"
`,
)
chmodSync(join(dir, 'sudo'), 0o755)
process.env.PATH = `${dir}:${process.env.PATH}`

test('exec runs the command under bash and keeps its output exactly', async (t) => {
  const c = connectLocal('localhost')
  t.deepEqual(await c.exec(`cd ${dir} && printf '  a\\n\\n'; echo $0 >&2; [[ -d . ]]; exit 7`), {
    code: 7,
    stdout: '  a\n\n',
    stderr: 'labplay\n',
  })
  t.is(c.host, 'localhost')
})

test('stdin reaches the command intact, output streams in chunks', async (t) => {
  const c = connectLocal('localhost')
  const data = randomBytes(1024 * 1024)
  const result = await c.exec(`cat > ${join(dir, 'blob')}; sha256sum < ${join(dir, 'blob')} | cut -d' ' -f1`, { stdin: data })
  t.is(result.stdout, `${createHash('sha256').update(data).digest('hex')}\n`)
  const chunks: string[] = []
  await c.exec('echo one; sleep 0.2; echo two >&2', { onStdout: (s) => chunks.push(`out:${s}`), onStderr: (s) => chunks.push(`err:${s}`) })
  t.deepEqual(chunks, ['out:one\n', 'err:two\n'])
})

test('a timeout kills the command and everything it started', async (t) => {
  const c = connectLocal('localhost')
  const started = Date.now()
  const result = await c.exec('echo before; sleep 5711 & sleep 5712', { timeoutMs: 300 })
  t.deepEqual(result, { code: 124, stdout: 'before\n', stderr: 'labplay: timed out after 0.3s; the command was killed\n' })
  t.true(Date.now() - started < 3000)
  t.is(pgrep('sleep 571[12]'), '')
})

test('an abort signal kills the command; an aborted signal runs nothing', async (t) => {
  const c = connectLocal('localhost')
  const abort = new AbortController()
  setTimeout(() => abort.abort(), 200)
  const result = await c.exec('sleep 5713', { signal: abort.signal })
  t.is(result.code, 124)
  t.regex(result.stderr, /aborted/)
  t.is(pgrep('sleep 5713'), '')
  const marker = join(dir, 'never')
  t.is((await c.exec(`touch ${marker}`, { signal: abort.signal })).code, 124)
  t.throws(() => execFileSync('test', ['-e', marker]))
})

test('become without a password uses sudo -n', async (t) => {
  const c = connectLocal('localhost', { become: { user: 'student' } })
  t.is((await c.exec('echo "$FAKE_SUDO_USER:$FAKE_SUDO_FLAGS"')).stdout, 'student: -n -H\n')
})

test('become with a password feeds it to sudo -S, and the command still gets its stdin', async (t) => {
  const c = connectLocal('localhost', { become: { user: 'student', password: PASSWORD } })
  const data = Buffer.concat([Buffer.from('first line\n'), randomBytes(100_000)])
  const result = await c.exec('echo "$FAKE_SUDO_USER:$FAKE_SUDO_FLAGS"; sha256sum | cut -d" " -f1', { stdin: data })
  t.is(result.stdout, `student: -S -p'' -H\n${createHash('sha256').update(data).digest('hex')}\n`)
  t.is(result.stderr, '')
})

test('with cached sudo credentials the password is swallowed, not given to the command', async (t) => {
  const c = connectLocal('localhost', { become: { user: 'cached', password: PASSWORD } })
  const result = await c.exec('cat', { stdin: 'data\n' })
  t.deepEqual(result, { code: 0, stdout: 'data\n', stderr: '' })
})

test('a wrong password fails the command and is never shown', async (t) => {
  const c = connectLocal('localhost', { become: { user: 'student', password: 'wrong-Pa55' } })
  const result = await c.exec('echo ran')
  t.is(result.code, 1)
  t.is(result.stdout, '')
  t.is(result.stderr, 'Sorry, try again.\n')
  t.false(JSON.stringify(result).includes('wrong-Pa55'))
})

test('a timeout under become kills through sudo', async (t) => {
  const c = connectLocal('localhost', { become: { user: 'student', password: PASSWORD } })
  const result = await c.exec('sleep 5714', { timeoutMs: 300 })
  t.is(result.code, 124)
  t.is(pgrep('sleep 5714'), '')
})

test('becoming the user already running skips sudo', async (t) => {
  const user = execFileSync('id', ['-un']).toString().trim()
  const c = connectLocal('localhost', { become: { user } })
  t.is((await c.exec('echo "[$FAKE_SUDO_USER]"')).stdout, '[]\n')
})

test('exec after close rejects', async (t) => {
  const c = connectLocal('localhost')
  await c.close()
  await t.throwsAsync(c.exec('true'), { message: 'localhost: connection closed' })
})

const MiB = 1024 * 1024

// Over the local connection a 1 GiB line once ended the whole process (RangeError: Invalid string length).
test.serial('1 GiB on one line: refused with the default cap, the pipeline killed, the process unharmed', async (t) => {
  const c = connectLocal('localhost')
  const before = process.memoryUsage().rss
  const started = Date.now()
  await t.throwsAsync(c.exec("head -c 1073741822 /dev/zero | tr '\\0' a"), { instanceOf: OutputLimitError, message: 'output exceeded 16 MiB' })
  t.true(Date.now() - started < 20_000)
  const grown = (process.memoryUsage().rss - before) / MiB
  t.true(grown < 100, `rss grew by ${grown.toFixed(0)} MiB`)
  t.is(pgrep('head -c 1073741822'), '')
  t.is((await c.exec('echo fine')).stdout, 'fine\n')
})

test('streamed output counts too: the callbacks see at most the cap, then the command is killed', async (t) => {
  const c = connectLocal('localhost')
  let streamed = 0
  await t.throwsAsync(c.exec('yes labplay-cap-5741 >&2', { maxOutputBytes: MiB, timeoutMs: 30_000, onStderr: (s) => (streamed += Buffer.byteLength(s)) }), { instanceOf: OutputLimitError, message: 'output exceeded 1 MiB' })
  t.true(streamed > 0 && streamed <= MiB, `${streamed} bytes streamed`)
  t.is(pgrep('yes labplay-cap-5741'), '')
})
