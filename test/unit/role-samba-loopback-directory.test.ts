import test from 'ava'
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { bindPasswordKey, checkDirectory, storeBindPassword, storedPasswordIs } from '../../roles/samba-loopback/directory.ts'
import type { LdapPassdb } from '../../roles/samba-loopback/passdb.ts'
import type { ExecCall, Host } from '../../src/sdk/host.ts'
import { TaskFailed, TaskSkipped } from '../../src/sdk/outcome.ts'

// The admin password in secrets.tdb: compared on the host against what tdbdump prints, stored only when it differs.

const DN = 'cn=samba,ou=system,dc=campus,dc=fr'
const PASSDB: LdapPassdb = {
  backend: 'ldapsam', urls: ['ldap://ldap.campus.fr/'], suffix: 'dc=campus,dc=fr', userSuffix: 'ou=people', groupSuffix: 'ou=groups',
  adminDn: DN, adminPassword: 'Adm1n-pw', domain: 'CAMPUS', startTls: true, caCert: '',
}

// A private dir holding a secrets.tdb written with Samba's own tdb library, and a testparm that names that dir.
function privateDir(t: { teardown: (fn: () => void) => void }, stored?: Buffer, key = bindPasswordKey(DN)): string {
  const dir = mkdtempSync(join(tmpdir(), 'secrets-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  mkdirSync(join(dir, 'bin'))
  writeFileSync(join(dir, 'bin', 'testparm'), `#!/bin/sh\necho ${dir}\n`)
  chmodSync(join(dir, 'bin', 'testparm'), 0o755)
  if (stored) {
    const made = spawnSync('/usr/bin/python3', ['-c', [
      'import os, sys, tdb',
      `db = tdb.Tdb(${JSON.stringify(join(dir, 'secrets.tdb'))}, 0, tdb.DEFAULT, os.O_RDWR | os.O_CREAT, 0o600)`,
      `db[${JSON.stringify(key)}.encode()] = sys.stdin.buffer.read() + b"\\0"`,
      'db.close()',
    ].join('\n')], { input: stored })
    if (made.status !== 0) throw new Error(made.stderr.toString())
  }
  return dir
}

function compare(dir: string, candidate: Buffer | string): number | null {
  return spawnSync('bash', ['-c', storedPasswordIs(DN)], { input: candidate, env: { PATH: `${join(dir, 'bin')}:${process.env.PATH}` } }).status
}

// Bytes tdbdump escapes (", \, non-printable, UTF-8), a printf format, and \x41 followed by hex digits.
const TRICKY = ['Adm1n-pw', 'a"b\\c', '100% %s %b \\x41BC', 'é-€-😀', 'tab\there', ' leading and trailing ', '\\', '\\\\00']
for (const password of TRICKY) {
  test(`the stored password ${JSON.stringify(password)} matches itself and nothing near it`, (t) => {
    const dir = privateDir(t, Buffer.from(password))
    t.is(compare(dir, password), 0)
    t.is(compare(dir, `${password}x`), 1)
    t.is(compare(dir, password.slice(0, -1)), 1)
    t.is(compare(dir, `${password}\n`), 1)
  })
}

test('no stored password, another DN’s, or no secrets.tdb at all: not the same', (t) => {
  t.is(compare(privateDir(t), 'Adm1n-pw'), 1)
  t.is(compare(privateDir(t, Buffer.from('Adm1n-pw'), bindPasswordKey('cn=other,dc=campus,dc=fr')), 'Adm1n-pw'), 1)
})

test('the comparison reads the key of the DN, quoted for the shell', (t) => {
  t.regex(storedPasswordIs(DN), /tdbdump -k \$'SECRETS\/LDAP_BIND_PW\/cn=samba,ou=system,dc=campus,dc=fr'/)
  t.regex(storedPasswordIs("cn=o'brien,dc=x"), /tdbdump -k \$'SECRETS\/LDAP_BIND_PW\/cn=o\\'brien,dc=x'/)
})

interface Call { command: string; mutating: boolean; stdin: string }

// A host whose commands answer from `replies` (by the first word of the command), recording what was sent.
async function fakeHost(replies: Record<string, number | { code: number; stdout?: string; stderr?: string }>, check = false) {
  const calls: Call[] = []
  const messages: string[] = []
  const host = {
    check,
    async exec(command: string, call: ExecCall & { mutating: boolean }) {
      const chunks: Buffer[] = []
      if (call.stdin instanceof Readable) for await (const c of call.stdin) chunks.push(Buffer.from(c as Buffer))
      else if (call.stdin !== undefined) chunks.push(Buffer.from(call.stdin))
      calls.push({ command, mutating: call.mutating, stdin: Buffer.concat(chunks).toString() })
      const reply = Object.entries(replies).find(([word]) => command.includes(word))?.[1] ?? 0
      return typeof reply === 'number' ? { code: reply, stdout: '', stderr: '' } : { stdout: '', stderr: '', ...reply }
    },
    changed: (message?: string) => void messages.push(message ?? ''),
    skip: (message: string): never => { throw new TaskSkipped(message) },
    fail: (message: string): never => { throw new TaskFailed(message) },
  }
  return { host: host as unknown as Host, calls, messages }
}

test('the same password: only the comparison runs, with the password on stdin as a stream', async (t) => {
  const { host, calls, messages } = await fakeHost({ tdbdump: 0 })
  await storeBindPassword(host, PASSDB)
  t.deepEqual(calls.map((c) => [c.mutating, c.stdin]), [[false, 'Adm1n-pw']])
  t.deepEqual(messages, [])
})

test('a different password: smbpasswd -s -W gets it twice on stdin, never in its arguments', async (t) => {
  const { host, calls, messages } = await fakeHost({ tdbdump: 1 })
  await storeBindPassword(host, PASSDB)
  t.deepEqual(calls[1], { command: 'smbpasswd -s -W >/dev/null', mutating: true, stdin: 'Adm1n-pw\nAdm1n-pw\n' })
  for (const c of calls) t.false(c.command.includes('Adm1n-pw'))
  t.deepEqual(messages, [`stored the password of ${DN} in secrets.tdb`])
})

test('check mode compares too and leaves the store to the would-run report', async (t) => {
  const { host, calls, messages } = await fakeHost({ tdbdump: 1 }, true)
  await storeBindPassword(host, PASSDB)
  t.deepEqual(calls.map((c) => c.mutating), [false, true])
  t.deepEqual(messages, [])
})

test('the directory answers: net getlocalsid names the domain and its SID', async (t) => {
  const { host } = await fakeHost({ 'net getlocalsid': { code: 0, stdout: 'SID for domain CAMPUS is: S-1-5-21-1-2-3\n' } })
  await t.notThrowsAsync(checkDirectory(host, PASSDB))
})

test('the directory refuses: the task fails with what to check and the last words of Samba', async (t) => {
  const { host } = await fakeHost({
    'net getlocalsid': {
      code: 1,
      stderr: 'pdb_init_ldapsam: WARNING: Could not get domain info, nor add one to the domain.\npdb backend ldapsam:"ldap://ldap.campus.fr/" did not correctly init (error was NT_STATUS_CANT_ACCESS_DOMAIN_INFO)\nWARNING: Could not open passdb\n',
    },
  })
  const error = await t.throwsAsync(checkDirectory(host, PASSDB), { instanceOf: TaskFailed })
  t.regex(error!.message, /^Samba cannot read sambaDomainName=CAMPUS,dc=campus,dc=fr from ldap:\/\/ldap\.campus\.fr\/ as cn=samba,ou=system,dc=campus,dc=fr \(check the URL, StartTLS and its CA, the DN and its password, and that the entry exists\): .*NT_STATUS_CANT_ACCESS_DOMAIN_INFO\) \/ WARNING: Could not open passdb$/)
})

test('check mode does not ask the directory (Samba would write the SID it reads)', async (t) => {
  const { host, calls } = await fakeHost({}, true)
  await t.throwsAsync(checkDirectory(host, PASSDB), { instanceOf: TaskSkipped })
  t.deepEqual(calls, [])
})
