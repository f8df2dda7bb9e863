import { shown, VarError } from './coerce.ts'

// The campus directory as roles read it from their variables (samba-loopback's ldapsam, campus-login's nslcd):
// one rule for its URLs, DNs and CA, so a directory one role accepts is never refused by the next. Every value
// that passes fits on one line of smb.conf or nslcd.conf: no quotes, spaces in URLs, escapes or line breaks.

// ldap:// or ldaps://, a host name, IPv4 or [IPv6] address, an optional port, nothing after the slash.
const URL = /^ldaps?:\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)(?::(\d{1,5}))?\/?$/
const URL_EXPECTED = 'ldap://host[:port]/ or ldaps://host[:port]/'
// attr=value pairs joined by commas; values of letters (any script), digits, space . _ - (no escapes, no '+').
const RDN = String.raw`[A-Za-z][A-Za-z0-9-]*=[\p{L}\p{N}](?:[\p{L}\p{N} ._-]*[\p{L}\p{N}._-])?`
const DN = new RegExp(`^${RDN}(?:,${RDN})*$`, 'u')
const DN_EXPECTED = 'a DN like dc=campus,dc=fr (attr=value pairs joined by commas, values of letters, digits, space . _ -)'
const PEM = /^(?:-----BEGIN CERTIFICATE-----\n(?:[A-Za-z0-9+/=]{1,76}\n)+-----END CERTIFICATE-----\n)+$/

// One URL or a non-empty list of them, tried in order.
export function ldapUrls(value: unknown, name: string): string[] {
  const items = typeof value === 'string' ? [value] : value
  if (!Array.isArray(items) || items.length === 0) throw new VarError(`${name}: expected ${URL_EXPECTED} (or a list of them), got ${shown(value)}`)
  return items.map((url: unknown, i) => {
    const where = Array.isArray(value) ? `${name}[${i}]` : name
    const m = typeof url === 'string' ? URL.exec(url) : null
    if (!m || (m[2] !== undefined && (Number(m[2]) < 1 || Number(m[2]) > 65535))) throw new VarError(`${where}: expected ${URL_EXPECTED}, got ${shown(url)}`)
    return url as string
  })
}

// A whole DN (a base, a bind DN).
export function ldapDn(value: unknown, name: string): string {
  if (typeof value !== 'string' || !DN.test(value)) throw new VarError(`${name}: expected ${DN_EXPECTED}, got ${shown(value)}`)
  return value
}

// Where entries live below a base (ou=people): a DN, or "" for the base itself.
export function ldapDnBelow(value: unknown, name: string, base: string): string {
  if (value === '') return ''
  if (typeof value !== 'string' || !DN.test(value)) throw new VarError(`${name}: expected ${DN_EXPECTED} below ${base}, or "", got ${shown(value)}`)
  return value
}

// PEM certificates (the campus CA), normalized to LF lines and one final newline; "" stays "".
export function pemCertificates(value: unknown, name: string): string {
  if (value === '') return ''
  if (typeof value !== 'string') throw new VarError(`${name}: expected PEM certificates or "", got ${shown(value)}`)
  const pem = `${value.replace(/\r\n/g, '\n').trim()}\n`
  if (!PEM.test(pem)) {
    throw new VarError(`${name}: expected PEM certificates (-----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----), got ${shown(value.slice(0, 40))}${value.length > 40 ? '…' : ''}`)
  }
  return pem
}

// ldaps:// is TLS from its first byte: StartTLS on such a URL is a contradiction the admin should hear about.
export function startTlsFits(startTls: boolean, urls: string[], name: string): void {
  if (startTls && urls.some((u) => u.startsWith('ldaps:'))) throw new VarError(`${name}: ldaps:// URLs are TLS from the start, expected false with them`)
}
