import { bool, ldapDn, ldapDnBelow, ldapUrls, pemCertificates, startTlsFits, VarError, type Vars } from 'labplay'
import { oneOf, text } from './checks.ts'

// Where the campus directory's CA goes, and libldap's client defaults that make smbd trust it.
export const LDAP_CA_FILE = '/etc/ldap/campus-ca.pem'
export const LDAP_CONF = '/etc/ldap/ldap.conf'

// How Samba checks a student's password: its own tdb on this host, or the campus directory.
export type Passdb = { backend: 'tdbsam' } | LdapPassdb

export interface LdapPassdb {
  backend: 'ldapsam'
  urls: string[]
  suffix: string
  userSuffix: string
  groupSuffix: string
  adminDn: string
  adminPassword: string
  // The directory's sambaDomainName, taken as this host's NetBIOS name (see passdbLines).
  domain: string
  startTls: boolean
  // PEM, normalized to end with one newline; "" trusts the system's CA store.
  caCert: string
}

// The [global] parameters the role sets for the passdb: extra_global may not override them.
export const PASSDB_GUARDED = ['passdb backend', 'ldap admin dn', 'ldap suffix', 'ldap user suffix', 'ldap group suffix', 'ldap ssl']

const NETBIOS = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/
// smbpasswd -W reads each copy of the password with fgets into 256 bytes, newline included.
const PASSWORD_MAX_BYTES = 254

// The passdb variables once checked; with tdbsam the samba_ldap_* ones are not read at all.
export function passdbSettings(vars: Vars, workgroup: string): Passdb {
  if (oneOf(vars, 'samba_passdb', ['tdbsam', 'ldapsam']) === 'tdbsam') return { backend: 'tdbsam' }
  const urls = ldapUrls(vars.samba_ldap_url, 'samba_ldap_url')
  const startTls = bool(vars.samba_ldap_start_tls, 'samba_ldap_start_tls')
  startTlsFits(startTls, urls, 'samba_ldap_start_tls')
  const domain = vars.samba_ldap_domain === '' ? workgroup : text(vars, 'samba_ldap_domain', NETBIOS, "the directory's sambaDomainName (1 to 15 letters, digits, _ . -) or \"\" for the workgroup")
  return {
    backend: 'ldapsam',
    urls,
    suffix: ldapDn(vars.samba_ldap_suffix, 'samba_ldap_suffix'),
    userSuffix: ldapDnBelow(vars.samba_ldap_user_suffix, 'samba_ldap_user_suffix', 'samba_ldap_suffix'),
    groupSuffix: ldapDnBelow(vars.samba_ldap_group_suffix, 'samba_ldap_group_suffix', 'samba_ldap_suffix'),
    adminDn: ldapDn(vars.samba_ldap_admin_dn, 'samba_ldap_admin_dn'),
    adminPassword: password(vars.samba_ldap_admin_password),
    domain,
    startTls,
    caCert: pemCertificates(vars.samba_ldap_ca_cert, 'samba_ldap_ca_cert'),
  }
}

// With ldapsam the host's NetBIOS name is the directory's domain: a standalone Samba looks up
// sambaDomainName=<its NetBIOS name> and takes that entry's SID as its own, so every seat shares the
// campus SID that the students' sambaSID start with (any other name: "does not belong to our domain").
export function passdbLines(p: Passdb): string[] {
  if (p.backend === 'tdbsam') return []
  return [
    `netbios name = ${p.domain}`,
    `passdb backend = ldapsam:"${p.urls.join(' ')}"`,
    `ldap suffix = ${p.suffix}`,
    ...(p.userSuffix ? [`ldap user suffix = ${p.userSuffix}`] : []),
    ...(p.groupSuffix ? [`ldap group suffix = ${p.groupSuffix}`] : []),
    `ldap admin dn = ${p.adminDn}`,
    // Samba's default is start tls: say off explicitly.
    `ldap ssl = ${p.startTls ? 'start tls' : 'off'}`,
  ]
}

// libldap reads its CA from here (smbd's ldapsam has no CA option of its own).
export function ldapConf(): string {
  return [
    '# Managed by labplay (role samba-loopback): changes here are overwritten.',
    "# libldap's defaults on this host; Samba's ldapsam trusts the campus directory through them.",
    `TLS_CACERT\t${LDAP_CA_FILE}`,
    'TLS_REQCERT\tdemand',
    '',
  ].join('\n')
}

// The message never shows the password, only what is wrong with it.
function password(value: unknown): string {
  const name = 'samba_ldap_admin_password'
  if (typeof value !== 'string') throw new VarError(`${name}: expected a string, got ${value === null || value === undefined ? String(value) : typeof value === 'object' ? 'a list or mapping' : `a ${typeof value} (quote it)`}`)
  if (value === '') throw new VarError(`${name}: expected the password of samba_ldap_admin_dn, got ""`)
  if (/[\n\r\0]/.test(value)) throw new VarError(`${name}: expected one line, got a line break or NUL in it`)
  if (Buffer.byteLength(value) > PASSWORD_MAX_BYTES) throw new VarError(`${name}: expected at most ${PASSWORD_MAX_BYTES} bytes (what smbpasswd -W reads), got ${Buffer.byteLength(value)}`)
  return value
}
