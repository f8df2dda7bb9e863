// The maps the campus directory answers for a login: the account, its groups, its password ageing.
export const MAPS = ['passwd', 'group', 'shadow'] as const

// nsswitch.conf with `ldap` after the sources each map already has (local files first, so root and the system
// accounts never wait for the directory), added as libnss-ldapd's own script adds it; every other line as it was.
// A map without a line gets `files ldap`.
export function withLdap(conf: string): string {
  const lines = conf === '' ? [] : conf.replace(/\n$/, '').split('\n')
  const missing = new Set<string>(MAPS)
  const out = lines.map((line) => {
    const m = /^(\s*)([a-z]+)(\s*:)(.*?)\s*$/.exec(line)
    if (!m || !(MAPS as readonly string[]).includes(m[2]!)) return line
    missing.delete(m[2]!)
    // Action items ([NOTFOUND=return]) are not sources.
    if (m[4]!.split(/\s+/).includes('ldap')) return line
    return `${m[1]}${m[2]}${m[3]}${m[4]} ldap`
  })
  for (const map of MAPS) if (missing.has(map)) out.push(`${`${map}:`.padEnd(15)} files ldap`)
  return `${out.join('\n')}\n`
}
