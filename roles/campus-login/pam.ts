// The PAM profiles (pam-auth-update(8)) and the line each leaves in /etc/pam.d: libpam-ldapd's, and the role's own
// for homes (Debian's mkhomedir profile makes them 0755, readable by every other user of the seat).
export const HOMES = 'campus-login-homes'
export const HOMES_PROFILE = `/usr/share/pam-configs/${HOMES}`
export const PAM_LINES: Record<string, [string, string]> = { ldap: ['common-auth', 'pam_ldap.so'], [HOMES]: ['common-session', 'pam_mkhomedir.so umask=0077'] }

// A home made at the first login, 0700 (umask 0077) and owned by the student, from /etc/skel.
export function homesProfile(): string {
  return [
    'Name: Private home at a campus student\'s first login (labplay campus-login)',
    'Default: yes',
    'Priority: 0',
    'Session-Type: Additional',
    'Session-Interactive-Only: yes',
    'Session:',
    '\toptional\t\t\tpam_mkhomedir.so umask=0077',
    '',
  ].join('\n')
}
