// The maps the campus directory answers for a login: the account, its groups, its password ageing.
export const MAPS = ['passwd', 'group', 'shadow'] as const

// nsswitch.conf with `ldap` after the sources each map already has (local files first, so root and the system
// accounts never wait for the directory), added as libnss-ldapd's own script adds it: before a trailing comment,
// every other byte as it was (CRLF line ends too). A map without a line gets `files ldap`.
export function withLdap(conf: string): string {
  const lines = conf.split('\n')
  const missing = new Set<string>(MAPS)
  const out = lines.map((line) => {
    const eol = line.endsWith('\r') ? '\r' : ''
    const body = line.slice(0, line.length - eol.length)
    const hash = body.indexOf('#')
    const code = hash < 0 ? body : body.slice(0, hash)
    const m = /^\s*([a-z]+)\s*:(.*)$/.exec(code)
    if (!m || !(MAPS as readonly string[]).includes(m[1]!)) return line
    missing.delete(m[1]!)
    // Action items ([NOTFOUND=return]) are not sources.
    if (m[2]!.trim().split(/\s+/).includes('ldap')) return line
    const end = code.trimEnd().length
    return `${body.slice(0, end)} ldap${body.slice(end)}${eol}`
  })
  if (missing.size === 0) return out.join('\n')
  const eol = lines[0]!.endsWith('\r') ? '\r\n' : '\n'
  const added = MAPS.filter((map) => missing.has(map)).map((map) => `${`${map}:`.padEnd(15)} files ldap${eol}`).join('')
  const text = out.join('\n')
  return text === '' || text.endsWith('\n') ? text + added : text + eol + added
}
