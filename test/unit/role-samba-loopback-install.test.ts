import test from 'ava'
import samba from '../../roles/samba-loopback/index.ts'
import type { Vars } from '../../src/vars.ts'
import { runPlay, type RoleCase } from './role-harness.ts'
import { unquote } from './role-seat.ts'
import { CAMPUS_LDAP } from './samba-cases.ts'

// Debian's samba package starts smbd (and tries nmbd) from its scripts as it installs: on a bare seat the role
// puts everything smbd reads at its start in place first, with Samba's tools alone, then installs samba.

const LDAP: Vars = { ...CAMPUS_LDAP, samba_ldap_ca_cert: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' }
// The directory answers: no password stored yet, and the domain's SID.
const DIRECTORY: RoleCase['probes'] = [
  [/^dir=\$\(testparm -s --parameter-name='private dir'/, { code: 1 }],
  ['net getlocalsid', 'SID for domain CAMPUS is: S-1-5-21-1-2-3\n'],
]
// What smbd reads when it starts, on ldapsam: each is in place (or asked) before samba installs.
const SMBD_READS = ['write /etc/samba/smb.conf', 'write /etc/ldap/campus-ca.pem', 'write /etc/ldap/ldap.conf', 'smbpasswd -s', 'net getlocalsid']

// What the play sent one seat, in order: "install <packages>", "write <path>", or a command's first two words.
async function sent(c: RoleCase): Promise<string[]> {
  const run = await runPlay(samba, { 'm5-01': c })
  return run.hosts['m5-01']!.flatMap((r) => r.commands).map((command) => {
    const install = /\binstall --no-install-recommends (.+?) \|\|/.exec(command)
    if (install) return `install ${install[1]}`
    const write = /^p=(.+)\ntmp=/.exec(command)
    return write ? `write ${unquote(write[1]!)}` : command.split(/\s/, 2).join(' ')
  })
}

test('a bare seat: the tools without daemons, then smb.conf, then samba', async (t) => {
  const done = (await sent({})).filter((c) => /^(install|write) /.test(c))
  t.deepEqual(done.slice(0, 3), ['install samba-common-bin tdb-tools', 'write /etc/samba/smb.conf', 'install samba'])
})

test('a bare seat on ldapsam: the CA, ldap.conf, the stored password and the directory check come before samba too', async (t) => {
  const done = await sent({ vars: LDAP, probes: DIRECTORY })
  const server = done.indexOf('install samba')
  t.is(done.find((c) => c.startsWith('install ')), 'install samba-common-bin tdb-tools')
  for (const step of SMBD_READS) t.true(done.includes(step) && done.indexOf(step) < server, `${step} before samba: ${done.join(', ')}`)
})

test('check mode on a bare seat: would install the tools, would create smb.conf, would install samba; nothing runs', async (t) => {
  const run = await runPlay(samba, { 'm5-01': {} }, { check: true })
  const tasks = run.hosts['m5-01']!
  t.deepEqual(tasks.flatMap((r) => r.runs).filter((c) => !c.startsWith('lpstat ')), [])
  t.deepEqual(tasks.flatMap((r) => r.changes).slice(0, 3), ['would install samba-common-bin, tdb-tools', 'would create /etc/samba/smb.conf', 'would install samba'])
})

test('a seat with samba installed: nothing is installed again', async (t) => {
  const done = await sent({ seat: { packages: ['samba-common-bin', 'tdb-tools', 'samba'], services: { smbd: { running: true, enabled: true }, nmbd: {} } } })
  t.deepEqual(done.filter((c) => c.startsWith('install ')), [])
})
