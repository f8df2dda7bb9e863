import test from 'ava'
import { execFileSync } from 'node:child_process'
import { bashArgv, shellLine, shQuote } from '../src/connection/bash.ts'
import { invocation } from '../src/connection/become.ts'
import { PgidScanner } from '../src/connection/pgid.ts'

// Feeds chunks to a scanner; returns the stderr the caller sees and the process group found.
async function scan(chunks: string[]): Promise<[string, number | undefined]> {
  const scanner = new PgidScanner()
  const out = chunks.map((c) => scanner.push(Buffer.from(c)).toString()).join('') + scanner.flush().toString()
  const pgid = await Promise.race([scanner.pgid, Promise.resolve(undefined)])
  return [out, pgid]
}

const scanCases: Array<[string, string[], string, number | undefined]> = [
  ['marker first', ['labplay-pgid=42\nerr\n'], 'err\n', 42],
  ['marker split across chunks', ['labp', 'lay-pgid=4', '2', '\nerr'], 'err', 42],
  ['sudo lines before the marker', ['Sorry, try again.\nlabplay-pgid=7\nboom\n'], 'Sorry, try again.\nboom\n', 7],
  ['no marker (sudo refused)', ['sudo: a password is required\n'], 'sudo: a password is required\n', undefined],
  ['unterminated text without marker', ['bash: not found'], 'bash: not found', undefined],
  ['a later marker-like line is the command output', ['labplay-pgid=1\n', 'labplay-pgid=2\n'], 'labplay-pgid=2\n', 1],
]
for (const [title, chunks, stderr, pgid] of scanCases) {
  test(`pgid scanner: ${title}`, async (t) => {
    t.deepEqual(await scan(chunks), [stderr, pgid])
  })
}

test('pgid scanner: a line past 4 KiB without the marker is passed on as it comes, not held', (t) => {
  const scanner = new PgidScanner()
  t.is(scanner.push(Buffer.from('x'.repeat(3000))).length, 0)
  t.is(scanner.push(Buffer.from('x'.repeat(3000))).length, 6000)
  t.is(scanner.push(Buffer.from('labplay-pgid=5\n')).toString(), 'labplay-pgid=5\n', 'too late: that is output')
})

test('shQuote survives any byte sequence through a POSIX shell', (t) => {
  const value = `it's "$HOME" \`id\` \\ \n\t$'x' !`
  t.is(execFileSync('sh', ['-c', `printf %s ${shQuote(value)}`]).toString(), value)
  t.is(shellLine(['a b', "c'd"]), `'a b' 'c'\\''d'`)
})

const becomeCases: Array<[string, Parameters<typeof invocation>, string[], boolean]> = [
  ['no become', ['id', 'root', undefined], bashArgv('id'), false],
  ['become the login user', ['id', 'root', { user: 'root', password: 'Pa55-secret' }], bashArgv('id'), false],
  ['become without password', ['id', 'admin', { user: 'root' }], ['sudo', '-n', '-H', '-u', 'root', '--', ...bashArgv('id')], false],
  ['become with password', ['id', 'admin', { user: 'root', password: 'Pa55-secret' }], ['sudo', '-S', '-p', '', '-H', '-u', 'root', '--'], true],
]
for (const [title, args, argvStart, prefixed] of becomeCases) {
  test(`invocation: ${title}`, (t) => {
    const { argv, stdinPrefix } = invocation(...args)
    t.deepEqual(argv.slice(0, argvStart.length), argvStart)
    t.is(stdinPrefix !== undefined, prefixed)
    if (!stdinPrefix) return
    const token = argv.at(-1)!
    t.regex(token, /^labplay-stdin-[0-9a-f]{24}$/)
    t.is(stdinPrefix.toString(), `Pa55-secret\n${token}\n`)
    t.false(argv.some((a) => a.includes('Pa55-secret')), 'the password is never on the command line')
  })
}
