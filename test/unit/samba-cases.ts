import type { ExecutionContext } from 'ava'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Vars } from '../../src/vars.ts'

// The campus directory as samba-loopback's ldapsam cases take it; the admin password holds quotes, a backslash
// and a percent sign, which smb.conf and smbpasswd must keep literal.
export const CAMPUS_LDAP: Vars = {
  workgroup: 'CAMPUS',
  samba_passdb: 'ldapsam',
  samba_ldap_url: 'ldap://ldap.campus.fr/',
  samba_ldap_suffix: 'dc=campus,dc=fr',
  samba_ldap_admin_dn: 'cn=samba,ou=system,dc=campus,dc=fr',
  samba_ldap_admin_password: 'Adm1n "pw" \\ 100%',
}

// Whether Samba's testparm is on this machine (tests asking it are skipped without it only when not root: testWhere).
export const HAS_TESTPARM = spawnSync('testparm', ['-V']).status === 0

// Samba's own parser on a rendered smb.conf: it must load with no unknown or ignored parameter. Its dump.
export function testparmDump(t: ExecutionContext, conf: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'smbconf-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'smb.conf'), conf)
  const ran = spawnSync('testparm', ['-s', join(dir, 'smb.conf')], { encoding: 'utf8' })
  t.is(ran.status, 0, ran.stderr)
  t.notRegex(ran.stderr, /Unknown parameter|Ignoring|ERROR/)
  return ran.stdout
}
