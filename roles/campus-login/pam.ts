// The PAM profiles (pam-auth-update(8)) and the line each leaves in /etc/pam.d: libpam-ldapd's, and the role's own
// for homes (Debian's mkhomedir profile makes them 0755, readable by every other user of the seat).
export const HOMES = 'campus-login-homes'
export const HOMES_PROFILE = `/usr/share/pam-configs/${HOMES}`

// A profile's line: the common-* file, the module, the options it must carry. The first line calling the module is the
// one that counts: the first pam_mkhomedir.so to run makes the home with its mode, any later one finds it made.
export interface PamLine {
  file: string
  module: string
  options: string[]
}
export const PAM_LINES: Record<string, PamLine> = {
  ldap: { file: 'common-auth', module: 'pam_ldap.so', options: [] },
  [HOMES]: { file: 'common-session', module: 'pam_mkhomedir.so', options: ['umask=0077'] },
}

// pam-auth-update writes profiles by Priority, highest first, then by name descending (Debian 12: unix 256, ldap 128,
// systemd, mkhomedir and capability 0): 1 puts the role's pam_mkhomedir.so after pam_unix and pam_ldap and before
// Debian's own mkhomedir. It needs only NSS (the student's uid and home), which nslcd answers before any session.
export const HOMES_PRIORITY = 1

// A home made at the first login, 0700 (umask 0077) and owned by the student, from /etc/skel. With umask= given,
// pam_mkhomedir (PAM 1.5.2) derives the home's mode from it alone and ignores HOME_MODE in login.defs.
export function homesProfile(): string {
  return [
    'Name: Private home at a campus student\'s first login (labplay campus-login)',
    'Default: yes',
    `Priority: ${HOMES_PRIORITY}`,
    'Session-Type: Additional',
    'Session-Interactive-Only: yes',
    'Session:',
    '\toptional\t\t\tpam_mkhomedir.so umask=0077',
    '',
  ].join('\n')
}

// Whether a common-* file's first line calling the module carries the options; libpam reads a line up to its first '#'.
export function hasLine(text: string, line: PamLine): boolean {
  for (const raw of text.split('\n')) {
    const words = raw.replace(/#.*/, '').trim().split(/\s+/)
    const at = words.findIndex((w) => w === line.module || w.endsWith(`/${line.module}`))
    if (at > 0) return line.options.every((o) => words.slice(at + 1).includes(o))
  }
  return false
}
