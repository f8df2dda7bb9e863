import type { Vars } from 'labplay'
import { describe, flag, oneOf, SmbConfError, text } from './checks.ts'

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

// ldap:// or ldaps://, a host name, IPv4 or [IPv6] address, an optional port, nothing after the slash.
const URL = /^ldaps?:\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)(?::(\d{1,5}))?\/?$/
// attr=value pairs joined by commas; values of letters (any script), digits, space . _ - (no escapes, no '+').
const RDN = String.raw`[A-Za-z][A-Za-z0-9-]*=[\p{L}\p{N}](?:[\p{L}\p{N} ._-]*[\p{L}\p{N}._-])?`
const DN = new RegExp(`^${RDN}(?:,${RDN})*$`, 'u')
const PARTIAL_DN = new RegExp(`^(${RDN}(?:,${RDN})*)?$`, 'u')
const DN_EXPECTED = 'a DN like dc=campus,dc=fr (attr=value pairs joined by commas, values of letters, digits, space . _ -)'
const NETBIOS = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/
const PEM = /^(?:-----BEGIN CERTIFICATE-----\n(?:[A-Za-z0-9+/=]{1,76}\n)+-----END CERTIFICATE-----\n)+$/
// smbpasswd -W reads each copy of the password with fgets into 256 bytes, newline included.
const PASSWORD_MAX_BYTES = 254

// The passdb variables once checked; with tdbsam the samba_ldap_* ones are not read at all.
export function passdbSettings(vars: Vars, workgroup: string): Passdb {
  if (oneOf(vars, 'samba_passdb', ['tdbsam', 'ldapsam']) === 'tdbsam') return { backend: 'tdbsam' }
  const urls = ldapUrls(vars.samba_ldap_url)
  const startTls = flag(vars, 'samba_ldap_start_tls')
  if (startTls && urls.some((u) => u.startsWith('ldaps:'))) {
    throw new SmbConfError('samba_ldap_start_tls: ldaps:// URLs are TLS from the start, expected false with them')
  }
  const domain = vars.samba_ldap_domain === '' ? workgroup : text(vars, 'samba_ldap_domain', NETBIOS, "the directory's sambaDomainName (1 to 15 letters, digits, _ . -) or \"\" for the workgroup")
  return {
    backend: 'ldapsam',
    urls,
    suffix: text(vars, 'samba_ldap_suffix', DN, DN_EXPECTED),
    userSuffix: text(vars, 'samba_ldap_user_suffix', PARTIAL_DN, `${DN_EXPECTED} below samba_ldap_suffix, or ""`),
    groupSuffix: text(vars, 'samba_ldap_group_suffix', PARTIAL_DN, `${DN_EXPECTED} below samba_ldap_suffix, or ""`),
    adminDn: text(vars, 'samba_ldap_admin_dn', DN, DN_EXPECTED),
    adminPassword: password(vars.samba_ldap_admin_password),
    domain,
    startTls,
    caCert: caCert(vars.samba_ldap_ca_cert),
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

function ldapUrls(value: unknown): string[] {
  const expected = 'ldap://host[:port]/ or ldaps://host[:port]/'
  const list = typeof value === 'string' ? [value] : value
  if (!Array.isArray(list) || list.length === 0) throw new SmbConfError(`samba_ldap_url: expected ${expected} (or a list of them), got ${describe(value)}`)
  return list.map((url: unknown, i) => {
    const where = Array.isArray(value) ? `samba_ldap_url[${i}]` : 'samba_ldap_url'
    if (typeof url !== 'string') throw new SmbConfError(`${where}: expected ${expected}, got ${describe(url)}`)
    const m = URL.exec(url)
    if (!m || (m[2] !== undefined && (Number(m[2]) < 1 || Number(m[2]) > 65535))) throw new SmbConfError(`${where}: expected ${expected}, got ${JSON.stringify(url)}`)
    return url
  })
}

// The message never shows the password, only what is wrong with it.
function password(value: unknown): string {
  const name = 'samba_ldap_admin_password'
  if (typeof value !== 'string') throw new SmbConfError(`${name}: expected a string, got ${value === null || value === undefined ? String(value) : typeof value === 'object' ? 'a list or mapping' : `a ${typeof value} (quote it)`}`)
  if (value === '') throw new SmbConfError(`${name}: expected the password of samba_ldap_admin_dn, got ""`)
  if (/[\n\r\0]/.test(value)) throw new SmbConfError(`${name}: expected one line, got a line break or NUL in it`)
  if (Buffer.byteLength(value) > PASSWORD_MAX_BYTES) throw new SmbConfError(`${name}: expected at most ${PASSWORD_MAX_BYTES} bytes (what smbpasswd -W reads), got ${Buffer.byteLength(value)}`)
  return value
}

function caCert(value: unknown): string {
  const name = 'samba_ldap_ca_cert'
  if (value === '') return ''
  if (typeof value !== 'string') throw new SmbConfError(`${name}: expected PEM certificates or "", got ${describe(value)}`)
  const pem = `${value.replace(/\r\n/g, '\n').trim()}\n`
  if (!PEM.test(pem)) {
    throw new SmbConfError(`${name}: expected PEM certificates (-----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----), got ${JSON.stringify(value.slice(0, 40))}${value.length > 40 ? '…' : ''}`)
  }
  return pem
}
