import { Readable } from 'node:stream'
import { quote, type Host } from 'labplay'
import type { LdapPassdb } from './passdb.ts'

// secrets.tdb keeps the password smbd binds with under this key, NUL-terminated (smbpasswd -W).
export const bindPasswordKey = (dn: string): string => `SECRETS/LDAP_BIND_PW/${dn}`

// Exits 0 when secrets.tdb already holds, for `dn`, the password that arrives on stdin. The comparison
// happens on the host with bash builtins, so the stored secret never travels and no command line shows
// either copy. tdbdump -k prints the value with \HH for each byte that is not printable (" and \ too):
// turning every \ into \x makes that printf %b's input, which gives the bytes back.
export function storedPasswordIs(dn: string): string {
  return [
    `dir=$(testparm -s --parameter-name='private dir' 2>/dev/null) || exit 1`,
    `stored=$(tdbdump -k ${quote(bindPasswordKey(dn))} "$dir/secrets.tdb" 2>/dev/null) || exit 1`,
    'cmp -s <(printf \'%b\' "${stored//\\\\/\\\\x}") <(cat; printf \'\\0\')',
  ].join('\n')
}

// A secret as a stream: the connection then pipes it into the command on a channel of its own, where
// the session loop would park a string's stdin in a temporary file on the host.
function secretInput(text: string): Readable {
  return Readable.from([Buffer.from(text)])
}

// smbpasswd -W stores the password of smb.conf's `ldap admin dn`; with -s it reads it twice from stdin.
export async function storeBindPassword(h: Host, p: LdapPassdb): Promise<void> {
  const same = await h.exec(storedPasswordIs(p.adminDn), { mutating: false, stdin: secretInput(p.adminPassword) })
  if (same.code === 0) return
  await h.exec('smbpasswd -s -W >/dev/null', { mutating: true, stdin: secretInput(`${p.adminPassword}\n${p.adminPassword}\n`) })
  if (!h.check) h.changed(`stored the password of ${p.adminDn} in secrets.tdb`)
}

// `net getlocalsid` opens the passdb: with ldapsam it binds as the admin DN and reads
// sambaDomainName=<domain>, whose SID becomes this host's. It fails on a wrong URL, certificate, DN,
// password, or a directory without that entry.
export async function checkDirectory(h: Host, p: LdapPassdb): Promise<void> {
  if (h.check) h.skip('the directory is not asked in check mode (Samba records the SID it reads)')
  const r = await h.exec('net getlocalsid', { mutating: false, timeoutMs: 120_000 })
  if (r.code === 0 && /^SID for domain \S+ is: S-1-5-21-[\d-]+$/m.test(r.stdout)) return
  const said = `${r.stdout}\n${r.stderr}`.split('\n').map((l) => l.trim()).filter(Boolean).slice(-3).join(' / ')
  h.fail(`Samba cannot read sambaDomainName=${p.domain},${p.suffix} from ${p.urls.join(' ')} as ${p.adminDn} ` +
    `(check the URL, StartTLS and its CA, the DN and its password, and that the entry exists): ${said || `exit ${r.code}`}`)
}
