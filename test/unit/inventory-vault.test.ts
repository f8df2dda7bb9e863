// Inventories with ansible-vault data: an encrypted INI file, an encrypted group_vars file, `!vault` values in YAML.
import test from 'ava'
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { Redactor } from '../../src/engine/redact.ts'
import { InputError } from '../../src/errors.ts'
import { hostVars, loadInventory } from '../../src/inventory/index.ts'
import { Keyring } from '../../src/vault/keyring.ts'
import { Vaulted } from '../../src/vault/value.ts'

const sh = promisify(execFile)
const dir = mkdtempSync(join(tmpdir(), 'labplay-inv-vault-'))
const env = { ...process.env, HOME: dir }
const keyring = new Keyring([{ label: 'default', password: Buffer.from('inv-pass'), source: 'test' }])

const made = (async () => {
  mkdirSync(join(dir, 'inv/group_vars'), { recursive: true })
  writeFileSync(join(dir, 'pass'), 'inv-pass\n')
  writeFileSync(join(dir, 'inv/hosts'), '[m5]\nm5-01 ansible_host=10.5.0.1\n')
  writeFileSync(join(dir, 'inv/group_vars/m5.yml'), 'ldap_bind_secret: "cn=admin secret"\n')
  mkdirSync(join(dir, 'room/group_vars/m5'), { recursive: true })
  writeFileSync(join(dir, 'room/hosts'), '[m5]\nm5-01\nm5-02\n')
  writeFileSync(join(dir, 'room/group_vars/m5/seats.yml'), 'seat_position: "1,2"\n')
  writeFileSync(join(dir, 'room/group_vars/m5/plain.yml'), 'room_name: M5\n')
  await sh('ansible-vault', ['encrypt', '--vault-password-file', join(dir, 'pass'), join(dir, 'inv/hosts'), join(dir, 'inv/group_vars/m5.yml'), join(dir, 'room/group_vars/m5/seats.yml')], { env })
  const { stdout } = await sh('ansible-vault', ['encrypt_string', '--vault-password-file', join(dir, 'pass'), 'desk-pw', '--name', 'desk_password'], { env })
  writeFileSync(join(dir, 'desks.yml'), `teachers:\n  hosts:\n    desk-1:\n      ${stdout.replace(/\n/g, '\n      ')}\n`)
})()

test('an encrypted INI inventory and group_vars file are read with the password; their values become secrets', async (t) => {
  await made
  const inv = await loadInventory(['inv'], { cwd: dir, vault: keyring })
  t.like(hostVars(inv, 'm5-01'), { ansible_host: '10.5.0.1', ldap_bind_secret: 'cn=admin secret' })
  t.is(new Redactor().text('bound as cn=admin secret'), 'bound as ********')
  const error = await t.throwsAsync(loadInventory(['inv'], { cwd: dir }), { instanceOf: InputError })
  t.is(error?.format(), 'inv/hosts: cannot decrypt this file: it is encrypted with ansible-vault and no vault password was given: give the password with --ask-vault-pass, --vault-password-file FILE or --vault-id LABEL@SOURCE')
})

test('a !vault value in a YAML inventory stays encrypted until used, even without a password', async (t) => {
  await made
  const inv = await loadInventory(['desks.yml'], { cwd: dir })
  const value = hostVars(inv, 'desk-1').desk_password
  t.true(value instanceof Vaulted)
  t.regex(JSON.stringify(value), /^\{"__ansible_vault":"\$ANSIBLE_VAULT;1\.1;AES256\\n/)
  const unlocked = hostVars(await loadInventory(['desks.yml'], { cwd: dir, vault: keyring }), 'desk-1').desk_password as Vaulted
  t.is(unlocked.reveal(), 'desk-pw')
})

test('a reader that needs the groups only (lockedVars) goes on without a vars file no password opens, and is told which', async (t) => {
  await made
  const locked: string[] = []
  const lockedVars = (why: InputError) => locked.push(why.format())
  const inv = await loadInventory(['room'], { cwd: dir, lockedVars })
  t.deepEqual(inv.groups.get('m5')?.hosts, ['m5-01', 'm5-02'])
  t.like(hostVars(inv, 'm5-01'), { room_name: 'M5' })
  t.false('seat_position' in hostVars(inv, 'm5-01'))
  t.deepEqual(locked, ['room/group_vars/m5/seats.yml: cannot decrypt this file: it is encrypted with ansible-vault and no vault password was given: give the password with --ask-vault-pass, --vault-password-file FILE or --vault-id LABEL@SOURCE'])
  const wrong = new Keyring([{ label: 'default', password: Buffer.from('not-it'), source: 'test' }])
  await loadInventory(['room'], { cwd: dir, vault: wrong, lockedVars })
  t.regex(locked[1]!, /^room\/group_vars\/m5\/seats\.yml: cannot decrypt this file: no vault password given decrypts it/)
  t.like(hostVars(await loadInventory(['room'], { cwd: dir, vault: keyring, lockedVars }), 'm5-01'), { seat_position: '1,2', room_name: 'M5' })
  t.is(locked.length, 2)
  const refused = await t.throwsAsync(loadInventory(['inv'], { cwd: dir, lockedVars }), { instanceOf: InputError })
  t.regex(refused!.format(), /^inv\/hosts: cannot decrypt this file/, 'the inventory file itself holds the groups: still refused')
})

test('a reader that needs the groups only still refuses a damaged vault file (not vault data): only a locked one is skipped', async (t) => {
  const damaged = join(dir, 'damaged')
  mkdirSync(join(damaged, 'group_vars'), { recursive: true })
  writeFileSync(join(damaged, 'hosts'), '[m6]\nm6-01\n')
  writeFileSync(join(damaged, 'group_vars', 'm6.yml'), '$ANSIBLE_VAULT;1.1;AES256\nnot-hex-at-all\n')
  const locked: string[] = []
  const keyring = new Keyring([{ label: 'default', password: Buffer.from('any'), source: 'test' }])
  const refused = await t.throwsAsync(loadInventory(['damaged/hosts'], { cwd: dir, vault: keyring, lockedVars: (why) => locked.push(why.format()) }), { instanceOf: InputError })
  t.regex(refused!.format(), /^damaged\/group_vars\/m6\.yml: cannot decrypt this file: it is not readable vault data/)
  t.deepEqual(locked, [])
})
