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
