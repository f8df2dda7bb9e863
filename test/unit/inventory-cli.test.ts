import test from 'ava'
import { InputError } from '../../src/errors.ts'
import { main } from '../../src/inventory/cli.ts'

// Each is refused before ansible.cfg, the inventory or a password is read: the run's table rules apply.
const refused = test.macro(async (t, argv: string[], message: RegExp) => {
  await t.throwsAsync(main(argv), { instanceOf: InputError, message })
})

test('the vault options conflict as for a run', refused, ['--list', '--ask-vault-password', '--vault-pass-file', 'f'], /^--ask-vault-pass and --vault-password-file: give one or the other/)
test('an unknown option names the inventory help', refused, ['--list', '--limit', 'm5'], /^unknown option '--limit' \(see labplay inventory --help\)$/)
test('one action at a time', refused, ['--list', '--host', 'm5-01'], /^expected exactly one of --list, --host HOST, --graph \[GROUP\]/)
test('--graph takes one group', refused, ['--graph', 'm5', 'm6'], /^unexpected argument 'm6'/)
test('--host needs its host', refused, ['--host'], /^option --host needs a value$/)

// A hostile name in an inventory file reaches the terminal escaped: as text in the graph, \u-escaped in the JSON
// listings (which stay valid JSON for the same names).
test('a hostile host name is escaped on stdout: the graph as text, the listings as JSON', async (t) => {
  const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const dir = mkdtempSync(join(tmpdir(), 'labplay-inv-cli-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const hostile = 'm5-\u009b2J\u202e'
  writeFileSync(join(dir, 'hosts.yml'), JSON.stringify({ m5: { hosts: { [hostile]: {} } } }))
  const printed: string[] = []
  const write = process.stdout.write
  process.stdout.write = ((chunk: string) => (printed.push(String(chunk)), true)) as typeof process.stdout.write
  try {
    await main(['--graph', '-i', join(dir, 'hosts.yml')])
    await main(['--list', '-i', join(dir, 'hosts.yml')])
  } finally {
    process.stdout.write = write
  }
  const [graph, list] = printed
  t.false(/[\u0080-\u009f\u202e]/.test(graph! + list!), 'nothing unsafe reaches the terminal')
  t.true(graph!.includes('m5-\\x9b2J'), graph)
  t.deepEqual((JSON.parse(list!) as { m5: { hosts: string[] } }).m5.hosts, [hostile], 'the JSON still holds the exact name')
})
