import { dirname } from 'node:path'
import { defineRole, type Host } from 'labplay'
import { forgetCachedAccounts } from './nscd.ts'
import { withLdap } from './nsswitch.ts'
import { hasLine, HOMES, HOMES_PROFILE, homesProfile, PAM_LINES } from './pam.ts'
import { CA_FILE, clearText, nslcdConf, readSettings, systemCaStore, type CampusLogin } from './settings.ts'

const defaults = {
  // The campus directory: one ldap:// or ldaps:// URL, or a list of them (tried in order).
  campus_ldap_url: '' as string | string[],
  // Its base DN, and where students and groups live below it ("": the base itself).
  campus_ldap_suffix: '',
  campus_ldap_user_suffix: 'ou=people',
  campus_ldap_group_suffix: 'ou=groups',
  // StartTLS on ldap:// URLs (false with ldaps://, which is TLS already).
  campus_ldap_start_tls: true,
  // PEM of the CA that signed the directory's certificate; "" trusts the system's CA store.
  campus_ldap_ca_cert: '',
  // A student's home is made at their first login (pam_mkhomedir); false leaves PAM's mkhomedir as it is.
  campus_make_homes: true,
}
type LoginHost = Host<typeof defaults>

// nslcd answers NSS and PAM from the directory; libnss-ldapd and libpam-ldapd are its two clients.
const PACKAGES = ['nslcd', 'libnss-ldapd', 'libpam-ldapd']
// The system's CA store, nslcd.conf's tls_cacertfile when no campus CA is given: libldap only recommends it, and
// packages are installed without recommends.
const CA_STORE = 'ca-certificates'
const NSLCD_CONF = '/etc/nslcd.conf'
const NSSWITCH = '/etc/nsswitch.conf'
const root = { owner: 'root', group: 'root' }

const settings = (h: LoginHost): CampusLogin => readSettings(h.vars)

// The profiles this host's PAM lacks, by the lines they leave in /etc/pam.d: one probe reads their common-* files,
// a NUL after each (a missing file reads empty: it lacks them all).
async function missingProfiles(h: LoginHost, wanted: string[]): Promise<string[]> {
  const lines = wanted.map((profile) => PAM_LINES[profile]!)
  const seen = await h.probe`for f in ${lines.map((line) => `/etc/pam.d/${line.file}`)}; do cat -- "$f" 2>/dev/null; printf '\\0'; done`
  const texts = seen.stdout.split('\0')
  return wanted.filter((_, i) => !hasLine(texts[i] ?? '', lines[i]!))
}

async function pam(h: LoginHost): Promise<void> {
  const makeHomes = settings(h).makeHomes
  const profile = makeHomes ? await h.file(HOMES_PROFILE, { content: homesProfile(), mode: '0644', ...root }) : { changed: false }
  const wanted = makeHomes ? ['ldap', HOMES] : ['ldap']
  // A changed profile is read again by pam-auth-update, which rewrites the common-* files from all profiles.
  const missing = profile.changed ? wanted : await missingProfiles(h, wanted)
  if (missing.length === 0) return
  await h.run`DEBIAN_FRONTEND=noninteractive pam-auth-update --enable ${missing}`
  if (h.check) return
  // pam-auth-update leaves common-* files an admin edited by hand as they are (and exits 0).
  const still = await missingProfiles(h, wanted)
  if (still.length > 0) {
    const homes = still.includes(HOMES) ? `; the first pam_mkhomedir.so line of common-session must be the role's, umask=0077` : ''
    h.fail(`pam-auth-update did not enable ${still.join(', ')} (/etc/pam.d/common-* edited by hand?${homes}): see pam-auth-update(8), --force`)
  }
  h.changed(`enabled the PAM profiles ${missing.join(', ')}`)
}

// Seats whose students log in with their campus account: NSS and PAM against the campus LDAP directory, as
// campus workstations do, so `getent passwd <student>` gives the directory's uid and a campus password opens a session.
export default defineRole({
  name: 'campus-login',
  description: "Campus students known to this host and able to log in: NSS and PAM answer from the campus LDAP directory through nslcd, and a student's home is made at the first login.",
  defaults,
  packages: [...PACKAGES, CA_STORE],
  tasks: [
    {
      name: 'the campus directory settings are valid',
      run: (h) => {
        if (clearText(settings(h))) h.warn('campus_ldap_start_tls is false with ldap:// URLs: every login sends a campus password over the network in clear')
      },
    },
    {
      name: 'nslcd and the LDAP modules of NSS and PAM are installed',
      run: (h) => h.packages(systemCaStore(settings(h)) ? [...PACKAGES, CA_STORE] : PACKAGES),
    },
    {
      name: 'nslcd reads students and groups from the campus directory',
      run: async (h) => {
        const s = settings(h)
        // libldap reads /etc/ldap but does not make it (libldap-common, a recommends, does).
        if (s.caCert) await h.directory(dirname(CA_FILE), { mode: '0755', ...root })
        const ca = s.caCert ? await h.file(CA_FILE, { content: s.caCert, mode: '0644', ...root }) : { changed: false }
        const conf = await h.file(NSLCD_CONF, { content: nslcdConf(s), mode: '0644', ...root })
        // At once, not in a handler at the play's end: the roles after this one look students up already.
        await h.service('nslcd', { state: ca.changed || conf.changed ? 'restarted' : 'started', enabled: true })
        if (ca.changed || conf.changed) await forgetCachedAccounts(h)
      },
    },
    {
      name: 'accounts and groups are looked up in the directory after the local files',
      run: async (h) => {
        const seen = await h.probe`cat -- ${NSSWITCH}`
        if (seen.code !== 0) h.fail(`cannot read ${NSSWITCH}: ${seen.stderr.trim()}`)
        const conf = await h.file(NSSWITCH, { content: withLdap(seen.stdout), mode: '0644', ...root })
        if (conf.changed) await forgetCachedAccounts(h)
      },
    },
    {
      name: "PAM checks campus passwords and makes a student's home at the first login",
      run: pam,
    },
  ],
})
