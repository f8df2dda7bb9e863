// Playbook-side vault data, made by Debian's ansible-vault: an encrypted vars_files entry, an encrypted
// `-e @file`, and a `!vault` value in a play's vars.
import test from 'ava'
import { execFile } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { RoleCatalog } from '../../src/engine/roles.ts'
import { InputError } from '../../src/errors.ts'
import { LazyVars, loadPlaybook, parseExtraVars } from '../../src/playbook/index.ts'
import { Keyring } from '../../src/vault/keyring.ts'

const sh = promisify(execFile)
const dir = mkdtempSync(join(tmpdir(), 'labplay-pb-vault-'))
const keyring = new Keyring([{ label: 'default', password: Buffer.from('pb-pass'), source: 'test' }])

const made = (async () => {
  const env = { ...process.env, HOME: dir }
  writeFileSync(join(dir, 'pass'), 'pb-pass\n')
  writeFileSync(join(dir, 'secrets.yml'), 'samba_secret: from-vars-file\n')
  writeFileSync(join(dir, 'extra.yml'), 'ldap_token: from-extra-file\n')
  await sh('ansible-vault', ['encrypt', '--vault-password-file', join(dir, 'pass'), join(dir, 'secrets.yml'), join(dir, 'extra.yml')], { env })
  const { stdout } = await sh('ansible-vault', ['encrypt_string', '--vault-password-file', join(dir, 'pass'), 'inline-play-pw', '--name', 'admin_password'], { env })
  writeFileSync(join(dir, 'site.yml'), `- hosts: all\n  vars_files: [secrets.yml]\n  vars:\n    ${stdout.replace(/\n/g, '\n    ')}\n  roles: []\n`)
})()

test('an encrypted vars_files entry and -e @file are decrypted when read; a !vault play var when used', async (t) => {
  await made
  const catalog = await RoleCatalog.load([])
  const [play] = await loadPlaybook(join(dir, 'site.yml'), catalog, keyring)
  const vars = new LazyVars([{ vars: play!.vars, place: (n) => play!.varPlaces[n] }])
  t.is(vars.get('samba_secret'), 'from-vars-file')
  t.is(vars.get('admin_password'), 'inline-play-pw')
  t.deepEqual(parseExtraVars('@extra.yml', dir, keyring), { ldap_token: 'from-extra-file' })
})

test('without the password: the encrypted files are bad input naming them, the !vault value fails where used', async (t) => {
  await made
  const catalog = await RoleCatalog.load([])
  const error = await t.throwsAsync(loadPlaybook(join(dir, 'site.yml'), catalog), { instanceOf: InputError })
  t.is(error!.format().split(': it is')[0], `${join(dir, 'site.yml')}:2:16: vars file ${join(dir, 'secrets.yml')}: cannot decrypt it`)
  t.throws(() => parseExtraVars('@extra.yml', dir), { instanceOf: InputError, message: /cannot decrypt this file/ })
})
