import { bool, ldapDn, ldapDnBelow, ldapUrls, pemCertificates, startTlsFits, VarError, type Vars } from 'labplay'

// The role's variables once checked (by the SDK's LDAP rules, the same as samba-loopback's ldapsam).
export interface CampusLogin {
  urls: string[]
  suffix: string
  // Below the suffix; "" searches the whole suffix.
  userSuffix: string
  groupSuffix: string
  tls: 'start_tls' | 'on' | 'off'
  // PEM with one final newline; "" trusts the system's CA store.
  caCert: string
  makeHomes: boolean
}

// Where the role keeps the campus CA for nslcd (samba-loopback keeps its own copy: each role works alone).
export const CA_FILE = '/etc/ldap/campus-login-ca.pem'
const SYSTEM_CA_STORE = '/etc/ssl/certs/ca-certificates.crt'

// Throws VarError (the task fails with its message) on the first variable that cannot be used.
export function readSettings(vars: Vars): CampusLogin {
  const urls = ldapUrls(vars.campus_ldap_url, 'campus_ldap_url')
  const startTls = bool(vars.campus_ldap_start_tls, 'campus_ldap_start_tls')
  startTlsFits(startTls, urls, 'campus_ldap_start_tls')
  const ldaps = urls.filter((u) => u.startsWith('ldaps:')).length
  if (ldaps > 0 && ldaps < urls.length) {
    throw new VarError('campus_ldap_url: nslcd has one TLS setting for all its servers, expected only ldaps:// or only ldap:// URLs, got both')
  }
  return {
    urls,
    suffix: ldapDn(vars.campus_ldap_suffix, 'campus_ldap_suffix'),
    userSuffix: ldapDnBelow(vars.campus_ldap_user_suffix, 'campus_ldap_user_suffix', 'campus_ldap_suffix'),
    groupSuffix: ldapDnBelow(vars.campus_ldap_group_suffix, 'campus_ldap_group_suffix', 'campus_ldap_suffix'),
    tls: startTls ? 'start_tls' : ldaps > 0 ? 'on' : 'off',
    caCert: pemCertificates(vars.campus_ldap_ca_cert, 'campus_ldap_ca_cert'),
    makeHomes: bool(vars.campus_make_homes, 'campus_make_homes'),
  }
}

// pam_ldap checks a password by binding with it: without TLS, every login sends a campus password in clear.
export const clearText = (s: CampusLogin): boolean => s.tls === 'off'

// nslcd verifies the directory's certificate against the system's CA store: TLS, and no campus CA of its own.
export const systemCaStore = (s: CampusLogin): boolean => s.tls !== 'off' && !s.caCert

// nslcd.conf(5): who nslcd runs as, the servers, where passwd, shadow and group entries live, and TLS that
// refuses a server whose certificate the campus CA did not sign.
export function nslcdConf(s: CampusLogin): string {
  const below = (dn: string) => (dn ? `${dn},${s.suffix}` : s.suffix)
  const tls = s.tls === 'off' ? ['ssl off'] : [`ssl ${s.tls}`, 'tls_reqcert demand', `tls_cacertfile ${systemCaStore(s) ? SYSTEM_CA_STORE : CA_FILE}`]
  return [
    '# Managed by labplay (role campus-login): changes here are overwritten.',
    '# nslcd answers NSS (getent passwd/group/shadow) and PAM (pam_ldap) from the campus directory.',
    'uid nslcd',
    'gid nslcd',
    ...s.urls.map((u) => `uri ${u}`),
    `base ${s.suffix}`,
    `base passwd ${below(s.userSuffix)}`,
    `base shadow ${below(s.userSuffix)}`,
    `base group ${below(s.groupSuffix)}`,
    ...tls,
    '',
  ].join('\n')
}
