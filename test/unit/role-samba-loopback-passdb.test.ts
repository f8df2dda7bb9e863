import test from 'ava'
import { testWhere } from '../helpers/test-where.ts'
import role from '../../roles/samba-loopback/index.ts'
import { ldapConf, passdbSettings } from '../../roles/samba-loopback/passdb.ts'
import { smbConf } from '../../roles/samba-loopback/smb-conf.ts'
import { VarError } from '../../src/sdk/coerce.ts'
import type { Vars } from '../../src/vars.ts'
import { CAMPUS_LDAP, HAS_TESTPARM, testparmDump } from './samba-cases.ts'

// How Samba authenticates: tdbsam as before, or the campus directory; variables in, smb.conf lines out.

const CA = `-----BEGIN CERTIFICATE-----
MIIBfTCCASOgAwIBAgIUQ2FtcHVzQ0FsYWJwbGF5dGVzdDAKBggqhkjOPQQDAjAc
MRowGAYDVQQDDBFsYWJwbGF5IGNhbXB1cyBDQTAeFw0yNjEyMDMwMDAwMDBaFw0y
-----END CERTIFICATE-----
`
const vars = (over: Vars = {}): Vars => ({ ...role.defaults, ...CAMPUS_LDAP, ...over })

// The [global] section as {parameter: value}.
function global(conf: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of conf.split('[homes]')[0]!.split('\n')) {
    const m = /^\s+([^=]+?)\s*=\s*(.*)$/.exec(line)
    if (m) out[m[1]!] = m[2]!
  }
  return out
}

test('tdbsam is the default: no passdb or LDAP line at all, as before', (t) => {
  const conf = smbConf({ ...role.defaults })
  t.notRegex(conf, /passdb|ldap|netbios name/)
  t.deepEqual(passdbSettings({ ...role.defaults }, 'WORKGROUP'), { backend: 'tdbsam' })
})

test('tdbsam ignores the samba_ldap_* variables, even invalid ones', (t) => {
  t.notRegex(smbConf({ ...role.defaults, samba_ldap_url: 'gopher://x', samba_ldap_admin_password: 7 }), /ldap/)
})

test('ldapsam: the directory, its suffixes, the admin DN, StartTLS, and the domain as NetBIOS name', (t) => {
  t.like(global(smbConf(vars())), {
    'netbios name': 'CAMPUS',
    'passdb backend': 'ldapsam:"ldap://ldap.campus.fr/"',
    'ldap suffix': 'dc=campus,dc=fr',
    'ldap user suffix': 'ou=people',
    'ldap group suffix': 'ou=groups',
    'ldap admin dn': 'cn=samba,ou=system,dc=campus,dc=fr',
    'ldap ssl': 'start tls',
    'interfaces': 'lo',
    'map to guest': 'never',
  })
})

test('ldapsam never writes the admin password into smb.conf', (t) => {
  t.false(smbConf(vars()).includes('Adm1n'))
})

test('several directories are tried in order; StartTLS off says so (Samba defaults to start tls)', (t) => {
  const g = global(smbConf(vars({ samba_ldap_url: ['ldap://10.0.0.5:3389/', 'ldap://[2001:db8::5]/'], samba_ldap_start_tls: false })))
  t.is(g['passdb backend'], 'ldapsam:"ldap://10.0.0.5:3389/ ldap://[2001:db8::5]/"')
  t.is(g['ldap ssl'], 'off')
})

test('ldaps:// URLs with StartTLS off', (t) => {
  const g = global(smbConf(vars({ samba_ldap_url: 'ldaps://ldap.campus.fr', samba_ldap_start_tls: 'no' })))
  t.is(g['passdb backend'], 'ldapsam:"ldaps://ldap.campus.fr"')
  t.is(g['ldap ssl'], 'off')
})

test('empty user and group suffixes leave Samba searching the whole suffix', (t) => {
  const g = global(smbConf(vars({ samba_ldap_user_suffix: '', samba_ldap_group_suffix: '' })))
  t.false('ldap user suffix' in g)
  t.false('ldap group suffix' in g)
})

test('samba_ldap_domain names the directory domain when it is not the workgroup', (t) => {
  const g = global(smbConf(vars({ samba_ldap_domain: 'UNIV-LILLE' })))
  t.is(g['netbios name'], 'UNIV-LILLE')
  t.is(g.workgroup, 'CAMPUS')
})

test('DN values may use any script', (t) => {
  t.is(global(smbConf(vars({ samba_ldap_suffix: 'o=Université de Lille,c=fr' })))['ldap suffix'], 'o=Université de Lille,c=fr')
})

test('the CA is normalized to one PEM with a final newline; libldap is pointed at it', (t) => {
  const s = passdbSettings(vars({ samba_ldap_ca_cert: `\r\n${CA.replace(/\n/g, '\r\n')}  ` }), 'CAMPUS')
  t.is(s.backend === 'ldapsam' && s.caCert, CA)
  t.regex(ldapConf(), /^TLS_CACERT\t\/etc\/ldap\/campus-ca\.pem$/m)
  t.regex(ldapConf(), /^TLS_REQCERT\tdemand$/m)
})

const rejects = test.macro({
  exec(t, over: Vars, message: RegExp) {
    const error = t.throws(() => smbConf(vars(over)), { instanceOf: VarError })
    t.regex(error!.message, message)
  },
  title: (given, over: Vars) => `ldapsam rejects ${given ?? JSON.stringify(over)}`,
})

test('an unknown passdb', rejects, { samba_passdb: 'smbpasswd' }, /^samba_passdb: expected one of tdbsam, ldapsam, got "smbpasswd"$/)
test('no URL', rejects, { samba_ldap_url: '' }, /^samba_ldap_url: expected ldap:\/\/host\[:port\]\/ or ldaps:\/\/host\[:port\]\/, got ""/)
test('an empty list of URLs', rejects, { samba_ldap_url: [] }, /^samba_ldap_url: expected .* \(or a list of them\), got a list/)
test('an http URL', rejects, { samba_ldap_url: 'http://ldap/' }, /^samba_ldap_url: expected ldap:/)
test('a URL with a quote', rejects, { samba_ldap_url: 'ldap://x/" guest ok = yes' }, /^samba_ldap_url: expected/)
test('a URL with a space', rejects, { samba_ldap_url: 'ldap://a/ ldap://b/' }, /^samba_ldap_url: expected/)
test('a URL with a newline', rejects, { samba_ldap_url: 'ldap://a/\n[evil]' }, /^samba_ldap_url: expected/)
test('a URL with a path', rejects, { samba_ldap_url: 'ldap://a/dc=x' }, /^samba_ldap_url: expected/)
test('a URL with port 0', rejects, { samba_ldap_url: 'ldap://a:0/' }, /^samba_ldap_url: expected/)
test('a URL with port 65536', rejects, { samba_ldap_url: 'ldap://a:65536/' }, /^samba_ldap_url: expected/)
test('a bad URL in a list', rejects, { samba_ldap_url: ['ldap://a/', 'ldap://b/;x'] }, /^samba_ldap_url\[1\]: expected/)
test('a number in the URL list', rejects, { samba_ldap_url: ['ldap://a/', 389] }, /^samba_ldap_url\[1\]: expected .*, got 389/)
test('ldaps:// with StartTLS', rejects, { samba_ldap_url: 'ldaps://a/' }, /^samba_ldap_start_tls: ldaps:\/\/ URLs are TLS from the start, expected false/)
test('StartTLS as a word', rejects, { samba_ldap_start_tls: 'maybe' }, /^samba_ldap_start_tls: expected true or false \(yes\/no, .*\), got .*maybe/)
for (const name of ['samba_ldap_suffix', 'samba_ldap_admin_dn', 'samba_ldap_user_suffix', 'samba_ldap_group_suffix']) {
  test(`${name} with a newline and a section`, rejects, { [name]: 'dc=x\n[evil]\npath = /' }, new RegExp(`^${name}: expected a DN`))
  test(`${name} with a carriage return`, rejects, { [name]: 'dc=x\rguest ok = yes' }, new RegExp(`^${name}: expected a DN`))
  test(`${name} with a trailing backslash`, rejects, { [name]: 'dc=x\\' }, new RegExp(`^${name}: expected a DN`))
  test(`${name} with an escaped comma`, rejects, { [name]: 'cn=a\\,b,dc=x' }, new RegExp(`^${name}: expected a DN`))
  test(`${name} with a space after the comma`, rejects, { [name]: 'ou=people, dc=x' }, new RegExp(`^${name}: expected a DN`))
  test(`${name} with a multi-valued RDN`, rejects, { [name]: 'cn=a+uid=b,dc=x' }, new RegExp(`^${name}: expected a DN`))
  test(`${name} as a number`, rejects, { [name]: 5 }, new RegExp(`^${name}: expected a DN.*, got 5`))
}
test('an empty suffix', rejects, { samba_ldap_suffix: '' }, /^samba_ldap_suffix: expected a DN/)
test('an empty admin DN', rejects, { samba_ldap_admin_dn: '' }, /^samba_ldap_admin_dn: expected a DN/)
test('a domain of 16 characters', rejects, { samba_ldap_domain: 'D'.repeat(16) }, /^samba_ldap_domain: expected the directory's sambaDomainName/)
test('a domain with a space', rejects, { samba_ldap_domain: 'MY CAMPUS' }, /^samba_ldap_domain: expected/)
test('no admin password', rejects, { samba_ldap_admin_password: '' }, /^samba_ldap_admin_password: expected the password of samba_ldap_admin_dn, got ""$/)
test('an admin password as a number', rejects, { samba_ldap_admin_password: 123456 }, /^samba_ldap_admin_password: expected a string, got a number \(quote it\)$/)
test('an admin password on two lines', rejects, { samba_ldap_admin_password: 'pw\nguest ok = yes' }, /^samba_ldap_admin_password: expected one line, got a line break or NUL in it$/)
test('an admin password with a carriage return', rejects, { samba_ldap_admin_password: 'pw\r' }, /^samba_ldap_admin_password: expected one line/)
test('an admin password longer than smbpasswd reads', rejects, { samba_ldap_admin_password: 'é'.repeat(128) }, /^samba_ldap_admin_password: expected at most 254 bytes \(what smbpasswd -W reads\), got 256$/)
test('a CA that is a path', rejects, { samba_ldap_ca_cert: '/etc/ssl/campus.pem' }, /^samba_ldap_ca_cert: expected PEM certificates/)
test('a CA with something after it', rejects, { samba_ldap_ca_cert: `${CA}guest ok = yes\n` }, /^samba_ldap_ca_cert: expected PEM certificates/)
test('a private key as the CA', rejects, { samba_ldap_ca_cert: CA.replace(/CERTIFICATE/g, 'PRIVATE KEY') }, /^samba_ldap_ca_cert: expected PEM certificates/)
test('extra_global changing the passdb', rejects, { extra_global: ['passdb backend = tdbsam'] }, /^extra_global\[0\]: 'passdb backend' is set by the role \(samba_passdb and samba_ldap_\* say how Samba authenticates\)/)
test('extra_global turning StartTLS off', rejects, { extra_global: ['LDAP  SSL = off'] }, /^extra_global\[0\]: 'LDAP  SSL' is set by the role/)
test('extra_global renaming the host away from the domain', rejects, { extra_global: ['netbios name = SEAT01'] }, /^extra_global\[0\]: 'netbios name' is set by the role \(samba_passdb/)

test('no message ever shows the admin password', (t) => {
  for (const bad of ['pw\nx-secret-x', `x-secret-x${'a'.repeat(300)}`]) {
    const error = t.throws(() => smbConf(vars({ samba_ldap_admin_password: bad })))
    t.false(error!.message.includes('x-secret-x'))
  }
})

// Samba's own parser has the last word on every ldapsam shape.
for (const [title, over] of [
  ['plain LDAP, one server', { samba_ldap_start_tls: false }],
  ['StartTLS, two servers, a domain of its own', { samba_ldap_url: ['ldap://a.campus.fr/', 'ldap://b.campus.fr:3389'], samba_ldap_domain: 'UNIV' }],
  ['ldaps, no user or group suffix', { samba_ldap_url: 'ldaps://ldap.campus.fr/', samba_ldap_start_tls: false, samba_ldap_user_suffix: '', samba_ldap_group_suffix: '' }],
] as Array<[string, Vars]>) {
  testWhere(HAS_TESTPARM)(`testparm loads the ldapsam config: ${title}`, (t) => {
    t.regex(testparmDump(t, smbConf(vars(over))), /\tpassdb backend = ldapsam:/)
  })
}
