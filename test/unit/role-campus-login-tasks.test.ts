import test from 'ava'
import login from '../../roles/campus-login/index.ts'
import { withLdap } from '../../roles/campus-login/nsswitch.ts'
import { hasLine, HOMES, HOMES_PRIORITY, HOMES_PROFILE, homesProfile, PAM_LINES } from '../../roles/campus-login/pam.ts'
import { nslcdConf, readSettings } from '../../roles/campus-login/settings.ts'
import type { Vars } from '../../src/vars.ts'
import { runTask, type Reply, type RoleCase } from './role-harness.ts'

// campus-login as data (role-harness.ts): the directory's variables and the seat in; nslcd.conf, nsswitch.conf and
// pam-auth-update out. test/windows-session-seat.test.ts runs it on seats against the lab's slapd.

const CA = `-----BEGIN CERTIFICATE-----
MIIBfTCCASOgAwIBAgIUQ2FtcHVzQ0FsYWJwbGF5dGVzdDAKBggqhkjOPQQDAjAc
-----END CERTIFICATE-----
`
const CAMPUS: Vars = { campus_ldap_url: 'ldap://ldap.campus.fr/', campus_ldap_suffix: 'dc=campus,dc=fr', campus_ldap_ca_cert: CA }
const vars = (over: Vars = {}): Vars => ({ ...login.defaults, ...CAMPUS, ...over })
// Debian 12's own file (base-files), as a bare seat has it.
const DEBIAN_NSSWITCH = `# /etc/nsswitch.conf
#
# Example configuration of GNU Name Service Switch functionality.

passwd:         files systemd
group:          files systemd
shadow:         files
gshadow:        files

hosts:          files dns
networks:       files

protocols:      db files
services:       db files
ethers:         db files
rpc:            db files

netgroup:       nis
`

test('nslcd.conf for a campus with StartTLS and its own CA: the bases of passwd, shadow and group, a CA that must sign', (t) => {
  t.is(nslcdConf(readSettings(vars())), [
    '# Managed by labplay (role campus-login): changes here are overwritten.',
    '# nslcd answers NSS (getent passwd/group/shadow) and PAM (pam_ldap) from the campus directory.',
    'uid nslcd',
    'gid nslcd',
    'uri ldap://ldap.campus.fr/',
    'base dc=campus,dc=fr',
    'base passwd ou=people,dc=campus,dc=fr',
    'base shadow ou=people,dc=campus,dc=fr',
    'base group ou=groups,dc=campus,dc=fr',
    'ssl start_tls',
    'tls_reqcert demand',
    'tls_cacertfile /etc/ldap/campus-login-ca.pem',
    '',
  ].join('\n'))
})

test('ldaps:// servers, no CA of its own, students at the top of the suffix', (t) => {
  const conf = nslcdConf(readSettings(vars({ campus_ldap_url: ['ldaps://a.campus.fr/', 'ldaps://b.campus.fr:636'], campus_ldap_start_tls: false, campus_ldap_ca_cert: '', campus_ldap_user_suffix: '' })))
  t.regex(conf, /^uri ldaps:\/\/a\.campus\.fr\/\nuri ldaps:\/\/b\.campus\.fr:636\n/m)
  t.regex(conf, /^base passwd dc=campus,dc=fr$/m)
  t.regex(conf, /^ssl on\ntls_reqcert demand\ntls_cacertfile \/etc\/ssl\/certs\/ca-certificates\.crt\n$/m)
})

const SETTINGS = 'the campus directory settings are valid'
test('plain LDAP is allowed, with a warning: every login would send a campus password in clear', async (t) => {
  const r = await runTask(login, SETTINGS, { vars: vars({ campus_ldap_start_tls: 'no' }) })
  t.is(r.status, 'ok')
  t.deepEqual(r.warnings, ['campus_ldap_start_tls is false with ldap:// URLs: every login sends a campus password over the network in clear'])
  t.regex(nslcdConf(readSettings(vars({ campus_ldap_start_tls: false }))), /^ssl off\n$/m)
})

// The same rules as samba-loopback's for the same kind of value (src/sdk/ldap.ts), named after this role's variables.
const refuses = test.macro({
  async exec(t, over: Vars, message: RegExp) {
    const r = await runTask(login, SETTINGS, { vars: { ...login.defaults, ...CAMPUS, ...over } })
    t.is(r.status, 'failed')
    t.regex(r.message ?? '', message)
    t.deepEqual(r.commands, [])
  },
  title: (title = '') => `refused before any command: ${title}`,
})
test('no directory (the default)', refuses, { campus_ldap_url: '' }, /^campus_ldap_url: expected ldap:\/\/host\[:port\]\/ or ldaps:\/\/host\[:port\]\/, got ""$/)
test('a URL that would add a line to nslcd.conf', refuses, { campus_ldap_url: 'ldap://a/\nbindpw x' }, /^campus_ldap_url: expected ldap:/)
test('ldaps:// and ldap:// mixed without StartTLS', refuses, { campus_ldap_url: ['ldaps://a/', 'ldap://b/'], campus_ldap_start_tls: false }, /^campus_ldap_url: nslcd has one TLS setting/)
test('StartTLS on ldaps://', refuses, { campus_ldap_url: 'ldaps://a/' }, /^campus_ldap_start_tls: ldaps:\/\/ URLs are TLS from the start/)
test('a suffix with a line break', refuses, { campus_ldap_suffix: 'dc=fr\nuid root' }, /^campus_ldap_suffix: expected a DN/)
test('a user suffix with an escaped comma', refuses, { campus_ldap_user_suffix: 'ou=a\\,b' }, /^campus_ldap_user_suffix: expected a DN .* below campus_ldap_suffix, or ""/)
test('a CA that is a path', refuses, { campus_ldap_ca_cert: '/etc/ssl/campus.pem' }, /^campus_ldap_ca_cert: expected PEM certificates/)
test('campus_make_homes as a word', refuses, { campus_make_homes: 'sometimes' }, /^campus_make_homes: expected true or false/)

const INSTALL = 'nslcd and the LDAP modules of NSS and PAM are installed'
const LDAP_PACKAGES = ['nslcd', 'libnss-ldapd', 'libpam-ldapd']
const installs = test.macro({
  async exec(t, over: Vars, expected: string[]) {
    const r = await runTask(login, INSTALL, { vars: vars(over) })
    t.is(r.status, 'changed')
    t.deepEqual(r.changes, [`installed ${expected.join(', ')}`])
  },
  title: (title = '') => `packages: ${title}`,
})
test("no campus CA: ca-certificates too (nslcd.conf trusts the system's store; recommends are not installed)", installs, { campus_ldap_ca_cert: '' }, [...LDAP_PACKAGES, 'ca-certificates'])
test('a campus CA of its own: no system store needed', installs, {}, LDAP_PACKAGES)
test('plain LDAP: no certificate to verify, no store', installs, { campus_ldap_ca_cert: '', campus_ldap_start_tls: false }, LDAP_PACKAGES)
test('the role declares ca-certificates, so the lab mirror carries it', (t) => {
  t.deepEqual(login.packages, [...LDAP_PACKAGES, 'ca-certificates'])
})

const NSLCD = 'nslcd reads students and groups from the campus directory'
// No nscd on the seat (pidof finds none), or one running.
const NO_NSCD: NonNullable<RoleCase['probes']> = [['pidof nscd', { code: 1 }]]
const NSCD: NonNullable<RoleCase['probes']> = [['pidof nscd', '412\n']]
const FORGET = 'nscd -i passwd && nscd -i group'

test('a new nslcd.conf and CA: /etc/ldap made (libldap does not), both written, nslcd restarted at once and enabled', async (t) => {
  const r = await runTask(login, NSLCD, { vars: vars(), seat: { services: { nslcd: { running: true, enabled: true } } }, probes: NO_NSCD })
  t.is(r.status, 'changed')
  t.regex(r.changes.join('\n'), /created \/etc\/ldap \(mode 0755/)
  t.is(r.written['/etc/nslcd.conf'], nslcdConf(readSettings(vars())))
  t.is(r.written['/etc/ldap/campus-login-ca.pem'], CA)
  t.is(r.runs.at(-1), 'systemctl restart -- nslcd')
})

test('nslcd.conf and the CA as they should be: nothing runs', async (t) => {
  const seat: RoleCase['seat'] = {
    dirs: ['/etc/ldap'],
    files: { '/etc/nslcd.conf': nslcdConf(readSettings(vars())), '/etc/ldap/campus-login-ca.pem': CA },
    services: { nslcd: { running: true, enabled: true } },
  }
  const r = await runTask(login, NSLCD, { vars: vars(), seat, probes: NSCD })
  t.deepEqual([r.status, r.runs], ['ok', []])
  t.false(r.commands.includes('pidof nscd'), 'nothing changed: nscd is not asked about')
})

test('a changed nslcd.conf with nscd running: after the restart, nscd forgets passwd and group (one -i a call, as unscd reads them)', async (t) => {
  const r = await runTask(login, NSLCD, { vars: vars(), seat: { services: { nslcd: { running: true, enabled: true } } }, probes: NSCD })
  t.is(r.status, 'changed')
  t.deepEqual(r.runs.slice(-2), ['systemctl restart -- nslcd', FORGET])
  t.is(r.changes.at(-1), 'nscd forgot its passwd and group answers')
})

test('check mode before the packages: would write both files and restart nslcd', async (t) => {
  const r = await runTask(login, NSLCD, { vars: vars(), check: true, probes: NO_NSCD })
  t.is(r.status, 'changed')
  t.deepEqual(r.runs, [])
  t.true(r.changes.some((c) => /restart nslcd/.test(c)), r.changes.join('\n'))
})

test("nsswitch.conf: ldap after Debian's own sources for passwd, group and shadow; every other line kept", (t) => {
  const conf = withLdap(DEBIAN_NSSWITCH)
  t.regex(conf, /^passwd:         files systemd ldap$/m)
  t.regex(conf, /^group:          files systemd ldap$/m)
  t.regex(conf, /^shadow:         files ldap$/m)
  t.regex(conf, /^gshadow:        files$/m)
  t.regex(conf, /^hosts:          files dns$/m)
  t.is(conf.split('\n').length, DEBIAN_NSSWITCH.split('\n').length)
  t.is(withLdap(conf), conf, 'a second pass changes nothing')
})

test('nsswitch.conf: ldap already there (with an action) stays; a missing map gets files and ldap', (t) => {
  t.is(withLdap('passwd: files ldap [NOTFOUND=return]\ngroup: ldap files\n'), 'passwd: files ldap [NOTFOUND=return]\ngroup: ldap files\nshadow:         files ldap\n')
})

// withLdap as a table: nsswitch.conf in, out. Comments are split off before the sources are read; every byte but the
// added `ldap` stays.
const nsswitch = test.macro({
  exec(t, conf: string, expected: string) {
    t.is(withLdap(conf), expected)
    t.is(withLdap(expected), expected, 'a second pass changes nothing')
  },
  title: (title = '') => `nsswitch.conf: ${title}`,
})
const REST = 'shadow: files ldap\ngroup: files ldap\n'
test('a trailing comment that mentions ldap is not a source', nsswitch, `passwd: files # no ldap here\n${REST}`, `passwd: files ldap # no ldap here\n${REST}`)
test('ldap goes before a trailing comment, the spaces before it kept', nsswitch, `passwd:   files systemd\t  #local first\n${REST}`, `passwd:   files systemd ldap\t  #local first\n${REST}`)
test('a comment straight after the sources', nsswitch, `passwd: files#x\n${REST}`, `passwd: files ldap#x\n${REST}`)
test('trailing spaces kept after the added ldap', nsswitch, `passwd: files   \n${REST}`, `passwd: files ldap   \n${REST}`)
test('a map with no sources yet', nsswitch, `passwd:\n${REST}`, `passwd: ldap\n${REST}`)
test('a commented-out map line is not the map', nsswitch, '#passwd: files ldap\npasswd: files\ngroup: files\n', '#passwd: files ldap\npasswd: files ldap\ngroup: files ldap\nshadow:         files ldap\n')
test('CRLF line ends stay CRLF, on changed and added lines', nsswitch, '# CRLF\r\npasswd: files # local\r\ngroup: files\r\n', '# CRLF\r\npasswd: files ldap # local\r\ngroup: files ldap\r\nshadow:         files ldap\r\n')
test('no final newline: kept when nothing is added', nsswitch, `${REST}passwd: files`, `${REST}passwd: files ldap`)
test('no final newline: one added before a missing map', nsswitch, 'passwd: files ldap\ngroup: files', 'passwd: files ldap\ngroup: files ldap\nshadow:         files ldap\n')
test('an empty file gets the three maps', nsswitch, '', 'passwd:         files ldap\ngroup:          files ldap\nshadow:         files ldap\n')

const NSS = 'accounts and groups are looked up in the directory after the local files'
test('nsswitch.conf is rewritten only when a map lacks ldap; then a running nscd forgets passwd and group', async (t) => {
  const on = (conf: string): RoleCase => ({ seat: { files: { '/etc/nsswitch.conf': conf } }, probes: [['cat -- /etc/nsswitch.conf', conf], ...NSCD] })
  const fresh = await runTask(login, NSS, on(DEBIAN_NSSWITCH))
  t.is(fresh.status, 'changed')
  t.is(fresh.written['/etc/nsswitch.conf'], withLdap(DEBIAN_NSSWITCH))
  t.is(fresh.runs.at(-1), FORGET)
  const again = await runTask(login, NSS, on(withLdap(DEBIAN_NSSWITCH)))
  t.deepEqual([again.status, again.runs], ['ok', []])
})

test('nsswitch.conf changed, no nscd: nothing to forget', async (t) => {
  const r = await runTask(login, NSS, { seat: { files: { '/etc/nsswitch.conf': DEBIAN_NSSWITCH } }, probes: [['cat -- /etc/nsswitch.conf', DEBIAN_NSSWITCH], ...NO_NSCD] })
  t.is(r.status, 'changed')
  t.false(r.runs.includes(FORGET))
  t.true(r.commands.includes('pidof nscd'))
})

const PAM = "PAM checks campus passwords and makes a student's home at the first login"
// The role's own homes profile already in place, and /etc/pam.d's common-auth and common-session as the role's one
// probe reads them, a NUL after each: the i-th read gets the i-th reply of each (or its last); a failed read is empty.
const PROFILE: RoleCase['seat'] = { dirs: ['/usr/share/pam-configs'], files: { [HOMES_PROFILE]: homesProfile() } }
const PAM_READ = /^for f in \/etc\/pam\.d\/common-auth( \/etc\/pam\.d\/common-session)?; do cat -- "\$f" 2>\/dev\/null; printf '\\0'; done$/
const pamFiles = (auth: Reply | Reply[], session: Reply | Reply[]): NonNullable<RoleCase['probes']> => {
  const [a, s] = [[auth].flat(), [session].flat()]
  const text = (replies: Reply[], i: number) => {
    const r = replies[Math.min(i, replies.length - 1)]!
    return typeof r === 'string' ? r : r.code ? '' : (r.stdout ?? '')
  }
  return [[PAM_READ, Array.from({ length: Math.max(a.length, s.length) }, (_, i) => `${text(a, i)}\0${text(s, i)}\0`)]]
}
const ENABLE = 'DEBIAN_FRONTEND=noninteractive pam-auth-update --enable'
// As pam-auth-update writes them on Debian 12 (the per-package block only).
const AUTH = 'auth\t[success=2 default=ignore]\tpam_unix.so nullok\nauth\t[success=1 default=ignore]\tpam_ldap.so minimum_uid=1000 use_first_pass\n'
const AUTH_UNIX = 'auth\t[success=1 default=ignore]\tpam_unix.so nullok\n'
const SESSION_HEAD = 'session\trequired\tpam_unix.so \nsession\t[success=ok default=ignore]\tpam_ldap.so minimum_uid=1000\n'
const ROLE_HOMES = 'session\toptional\t\t\tpam_mkhomedir.so umask=0077\n'
const DEBIAN_HOMES = 'session\toptional\t\t\tpam_mkhomedir.so \n'
const SYSTEMD = 'session\toptional\tpam_systemd.so \n'
// The role's profile at Priority 1, Debian's mkhomedir enabled too; then the same at Priority 0 (the name decides:
// mkhomedir before campus-login-homes).
const SESSION = SESSION_HEAD + ROLE_HOMES + SYSTEMD + DEBIAN_HOMES
const SESSION_DEBIAN_FIRST = SESSION_HEAD + SYSTEMD + DEBIAN_HOMES + ROLE_HOMES
const SESSION_NO_HOMES = SESSION_HEAD + SYSTEMD

const hasLines = test.macro({
  exec(t, profile: string, text: string, expected: boolean) {
    t.is(hasLine(text, PAM_LINES[profile]!), expected)
  },
  title: (title = '') => `a profile's line, first among its module's: ${title}`,
})
test('the role\'s pam_mkhomedir.so before Debian\'s', hasLines, HOMES, SESSION, true)
test('Debian\'s pam_mkhomedir.so first: it makes the home 0755, the role\'s finds it made', hasLines, HOMES, SESSION_DEBIAN_FIRST, false)
test('no pam_mkhomedir.so at all', hasLines, HOMES, SESSION_NO_HOMES, false)
test('the role\'s line commented out, Debian\'s after it', hasLines, HOMES, SESSION_HEAD + '#' + ROLE_HOMES + DEBIAN_HOMES, false)
test('umask=0077 only in a comment after Debian\'s line', hasLines, HOMES, SESSION_HEAD + 'session optional pam_mkhomedir.so # umask=0077 one day\n', false)
test('by its full path, with more options', hasLines, HOMES, 'session required /lib/x86_64-linux-gnu/security/pam_mkhomedir.so skel=/etc/skel umask=0077\n', true)
test('pam_ldap.so in common-auth', hasLines, 'ldap', AUTH, true)
test('pam_ldap.so only in a commented-out line', hasLines, 'ldap', AUTH_UNIX + '# auth sufficient pam_ldap.so\n', false)
test('pam_ldap.so in a comment after another module', hasLines, 'ldap', 'auth\t[success=1 default=ignore]\tpam_unix.so nullok # then pam_ldap.so\n', false)

test("pam-auth-update's order (Priority, highest first, then name descending) puts the role's line after pam_unix and pam_ldap, before Debian's mkhomedir", (t) => {
  t.regex(homesProfile(), new RegExp(`^Priority: ${HOMES_PRIORITY}$`, 'm'))
  // Debian 12's profiles (libpam-runtime, libpam-modules, libpam-systemd, libpam-cap, libpam-ldapd).
  const priorities: Record<string, number> = { unix: 256, ldap: 128, systemd: 0, mkhomedir: 0, capability: 0, [HOMES]: HOMES_PRIORITY }
  const order = Object.keys(priorities).sort((a, b) => priorities[b]! - priorities[a]! || (a < b ? 1 : a > b ? -1 : 0))
  t.deepEqual(order, ['unix', 'ldap', HOMES, 'systemd', 'mkhomedir', 'capability'])
})

test('PAM with pam_ldap and the private-homes line first already: nothing runs', async (t) => {
  const r = await runTask(login, PAM, { vars: vars(), seat: PROFILE, probes: pamFiles(AUTH, SESSION) })
  t.deepEqual([r.status, r.runs], ['ok', []])
})

test('PAM without the homes line: pam-auth-update enables that profile only', async (t) => {
  const r = await runTask(login, PAM, { vars: vars(), seat: PROFILE, probes: pamFiles(AUTH, [SESSION_NO_HOMES, SESSION]) })
  t.is(r.status, 'changed')
  t.deepEqual(r.runs, [`${ENABLE} ${HOMES}`])
  t.deepEqual(r.changes, [`enabled the PAM profiles ${HOMES}`])
})

test("Debian's mkhomedir before the role's line: pam-auth-update enables the homes profile again", async (t) => {
  const r = await runTask(login, PAM, { vars: vars(), seat: PROFILE, probes: pamFiles(AUTH, [SESSION_DEBIAN_FIRST, SESSION]) })
  t.is(r.status, 'changed')
  t.deepEqual(r.runs, [`${ENABLE} ${HOMES}`])
})

test('a new homes profile: written 0644, and pam-auth-update reads every profile again', async (t) => {
  const r = await runTask(login, PAM, { vars: vars(), probes: pamFiles(AUTH, SESSION) })
  t.is(r.status, 'changed')
  t.is(r.written[HOMES_PROFILE], homesProfile())
  t.is(r.runs.at(-1), `${ENABLE} ldap ${HOMES}`)
})

test('the homes profile of Priority 0 (before the fix): rewritten, and pam-auth-update reorders common-session', async (t) => {
  const old: RoleCase['seat'] = { dirs: ['/usr/share/pam-configs'], files: { [HOMES_PROFILE]: homesProfile().replace(/^Priority: \d+$/m, 'Priority: 0') } }
  const r = await runTask(login, PAM, { vars: vars(), seat: old, probes: pamFiles(AUTH, SESSION) })
  t.is(r.status, 'changed')
  t.is(r.written[HOMES_PROFILE], homesProfile())
  t.is(r.runs.at(-1), `${ENABLE} ldap ${HOMES}`)
})

test('campus_make_homes false: only pam_ldap is asked for, no profile written', async (t) => {
  const r = await runTask(login, PAM, { vars: vars({ campus_make_homes: false }), probes: pamFiles(AUTH, SESSION_NO_HOMES) })
  t.deepEqual([r.status, r.runs, r.written], ['ok', [], {}])
})

test('no common-auth at all: pam_ldap is missing', async (t) => {
  const r = await runTask(login, PAM, { vars: vars(), seat: PROFILE, probes: pamFiles([{ code: 1, stderr: 'No such file' }, AUTH], SESSION) })
  t.is(r.status, 'changed')
  t.deepEqual(r.runs, [`${ENABLE} ldap`])
})

test('pam-auth-update leaves hand-edited files as they are: the task fails and says so', async (t) => {
  const r = await runTask(login, PAM, { vars: vars(), seat: PROFILE, probes: pamFiles(AUTH_UNIX, SESSION) })
  t.is(r.status, 'failed')
  t.is(r.message, 'pam-auth-update did not enable ldap (/etc/pam.d/common-* edited by hand?): see pam-auth-update(8), --force')
})

test("a pam_mkhomedir.so line added by hand before the role's: the task fails and says which line must come first", async (t) => {
  const r = await runTask(login, PAM, { vars: vars(), seat: PROFILE, probes: pamFiles(AUTH, SESSION_DEBIAN_FIRST) })
  t.is(r.status, 'failed')
  t.is(r.message, `pam-auth-update did not enable ${HOMES} (/etc/pam.d/common-* edited by hand?; the first pam_mkhomedir.so line of common-session must be the role's, umask=0077): see pam-auth-update(8), --force`)
})

test('check mode: pam-auth-update is reported, not run', async (t) => {
  const r = await runTask(login, PAM, { vars: vars(), seat: PROFILE, probes: pamFiles(AUTH_UNIX, SESSION_NO_HOMES), check: true })
  t.is(r.status, 'changed')
  t.deepEqual(r.runs, [])
  t.deepEqual(r.changes, [`would run: ${ENABLE} ldap ${HOMES}`])
})
