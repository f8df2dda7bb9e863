// The vault format and password sources, against data made by Debian's ansible-vault.
import test from 'ava'
import { execFile } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { InputError } from '../../src/errors.ts'
import { parseEnvelope } from '../../src/vault/format.ts'
import { Keyring, VaultError } from '../../src/vault/keyring.ts'
import { loadVaultSecrets, type VaultSettings } from '../../src/vault/passwords.ts'

const run = promisify(execFile)
const dir = mkdtempSync(join(tmpdir(), 'labplay-vault-'))
const file = (name: string, content: string, mode = 0o600) => {
  const path = join(dir, name)
  writeFileSync(path, content)
  chmodSync(path, mode)
  return path
}
const lab = file('lab.pass', 'room-m5-secret\n')
const other = file('other.pass', 'another one\n')
const env = { ...process.env, HOME: dir, ANSIBLE_NOCOLOR: '1' }

// ansible-vault encrypts FILE in place (1.1, or 1.2 with a label); encrypt_string prints a `!vault` value.
async function encrypt(name: string, content: string, ...args: string[]): Promise<string> {
  const path = file(name, content)
  await run('ansible-vault', ['encrypt', ...args, path], { env })
  return readFileSync(path, 'utf8')
}
async function encryptString(value: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('ansible-vault', ['encrypt_string', ...args, value], { env })
  return stdout.replace(/^!vault \|\n/, '').replace(/^ +/gm, '')
}

const made = Promise.all([
  encrypt('v11.yml', 'smb_password: "p@ss w0rd"\n', '--vault-password-file', lab),
  encrypt('v12.yml', 'ldap_token: xyz\n', '--vault-id', `lab@${lab}`),
  encryptString('café ünïcode', '--vault-password-file', lab),
  encryptString('for the other room', '--vault-id', `m6@${other}`),
])
const secret = (label: string, text: string) => ({ label, password: Buffer.from(text), source: 'test' })
const settings = (extra: Partial<VaultSettings> = {}): VaultSettings => ({ env: {}, cwd: dir, ask: () => Promise.reject(new Error('no prompt')), ...extra })

test('decrypts a 1.1 file made by ansible-vault encrypt', async (t) => {
  const [v11] = await made
  t.true(v11.startsWith('$ANSIBLE_VAULT;1.1;AES256\n'))
  t.is(new Keyring([secret('default', 'room-m5-secret')]).decrypt(v11), 'smb_password: "p@ss w0rd"\n')
})

test('reads the label of a 1.2 file and tries the matching password first', async (t) => {
  const [, v12] = await made
  t.is(parseEnvelope(v12).label, 'lab')
  // The wrong password comes first, but carries another label: the labelled one is tried before it.
  t.is(new Keyring([secret('default', 'wrong'), secret('lab', 'room-m5-secret')]).decrypt(v12), 'ldap_token: xyz\n')
  // A password under another label still decrypts it when it is the right one, as in Ansible.
  t.is(new Keyring([secret('other', 'room-m5-secret')]).decrypt(v12), 'ldap_token: xyz\n')
})

test('decrypts encrypt_string values, UTF-8 included', async (t) => {
  const [, , value, labelled] = await made
  const keyring = new Keyring([secret('default', 'room-m5-secret'), secret('m6', 'another one')])
  t.is(keyring.decrypt(value), 'café ünïcode')
  t.is(keyring.decrypt(labelled), 'for the other room')
})

test('a wrong password, a tampered HMAC and no password are errors that say which', async (t) => {
  const [v11, v12] = await made
  const wrong = t.throws(() => new Keyring([secret('default', 'nope')]).decrypt(v12), { instanceOf: VaultError })
  t.regex(wrong.message, /no vault password given decrypts it \(it was encrypted for vault id 'lab'; tried: default\)/)
  const lines = v11.split('\n')
  const hex = Buffer.from(lines.slice(1).join(''), 'hex').toString('latin1').split('\n')
  hex[1] = hex[1]!.replace(/^./, (c) => (c === '0' ? '1' : '0'))
  const tampered = [lines[0], Buffer.from(hex.join('\n'), 'latin1').toString('hex')].join('\n')
  t.throws(() => new Keyring([secret('default', 'room-m5-secret')]).decrypt(tampered), { instanceOf: VaultError, message: /HMAC does not match/ })
  t.throws(() => new Keyring().decrypt(v11), { instanceOf: VaultError, message: /no vault password was given: give the password with --ask-vault-pass/ })
  t.throws(() => new Keyring([secret('default', 'x')]).decrypt('$ANSIBLE_VAULT;1.1;AES256\nzz'), { instanceOf: VaultError, message: /not readable vault data: the vault data is not hexadecimal/ })
})

test('password files, scripts, client scripts, prompts and ANSIBLE_VAULT_PASSWORD_FILE', async (t) => {
  const [v11, v12] = await made
  const script = file('pass.sh', "#!/bin/sh\nprintf 'room-m5-secret\\r\\n'\n", 0o700)
  const client = file('keyring-client.sh', '#!/bin/sh\n[ "$1 $2" = "--vault-id lab" ] && echo room-m5-secret && exit 0\necho "no such id $2" >&2\nexit 2\n', 0o700)
  const fromFile = await loadVaultSecrets({ vaultIds: [], passwordFiles: ['lab.pass'], askVaultPass: false }, settings())
  t.is(fromFile.decrypt(v11), 'smb_password: "p@ss w0rd"\n')
  t.deepEqual(fromFile.secrets.map((s) => s.label), ['default'])
  const fromScript = await loadVaultSecrets({ vaultIds: [`lab@${script}`], passwordFiles: [], askVaultPass: false }, settings())
  t.is(fromScript.decrypt(v12), 'ldap_token: xyz\n')
  const fromClient = await loadVaultSecrets({ vaultIds: [`lab@${client}`], passwordFiles: [], askVaultPass: false }, settings())
  t.is(fromClient.decrypt(v12), 'ldap_token: xyz\n')
  const unknown = await t.throwsAsync(loadVaultSecrets({ vaultIds: [`m9@${client}`], passwordFiles: [], askVaultPass: false }, settings()), { instanceOf: InputError })
  t.regex(unknown.message, /has no password for vault id 'm9': no such id m9/)
  const asked: string[] = []
  const prompted = await loadVaultSecrets({ vaultIds: ['lab@prompt'], passwordFiles: [], askVaultPass: true }, settings({ ask: (q) => (asked.push(q), Promise.resolve('room-m5-secret')) }))
  t.deepEqual(asked, ['Vault password (lab): ', 'Vault password: '])
  t.deepEqual(prompted.secrets.map((s) => s.label), ['lab', 'default'])
  const fromEnv = await loadVaultSecrets({ vaultIds: [], passwordFiles: [], askVaultPass: false }, settings({ env: { ANSIBLE_VAULT_PASSWORD_FILE: lab } }))
  t.is(fromEnv.decrypt(v11), 'smb_password: "p@ss w0rd"\n')
  const listed = await loadVaultSecrets({ vaultIds: [`cli@${other}`], passwordFiles: [], askVaultPass: false }, settings({ env: { ANSIBLE_VAULT_IDENTITY_LIST: `lab@${lab}, m6@${other}` } }))
  t.deepEqual(listed.secrets.map((s) => s.label), ['lab', 'm6', 'cli'])
  // ansible.cfg's vault_password_file: the environment wins over it, as in Ansible.
  const configured = await loadVaultSecrets({ vaultIds: [], passwordFiles: [], askVaultPass: false }, settings({ config: { passwordFile: other } }))
  t.deepEqual(configured.secrets.map((s) => s.source), [other])
})

test('a password source that fails is bad input naming it', async (t) => {
  const empty = file('empty.pass', '\n\n')
  const failing = file('fail.sh', '#!/bin/sh\nexit 3\n', 0o700)
  const cases: Array<[string, RegExp]> = [
    [join(dir, 'missing.pass'), /missing\.pass: does not exist/],
    [empty, /empty\.pass: gives an empty password/],
    [failing, /fail\.sh: the script exited with 3/],
  ]
  for (const [source, message] of cases) {
    await t.throwsAsync(loadVaultSecrets({ vaultIds: [], passwordFiles: [source], askVaultPass: false }, settings()), { instanceOf: InputError, message })
  }
  await t.throwsAsync(loadVaultSecrets({ vaultIds: ['@x'], passwordFiles: [], askVaultPass: false }, settings()), { instanceOf: InputError, message: /expected LABEL@SOURCE/ })
})

test('a password file encrypted with an earlier password is decrypted first', async (t) => {
  const [v11] = await made
  const wrapped = await encrypt('wrapped.pass', 'room-m5-secret\n', '--vault-password-file', other)
  t.true(wrapped.startsWith('$ANSIBLE_VAULT'))
  const keyring = await loadVaultSecrets({ vaultIds: [`outer@${other}`], passwordFiles: [join(dir, 'wrapped.pass')], askVaultPass: false }, settings())
  t.is(keyring.decrypt(v11), 'smb_password: "p@ss w0rd"\n')
})
