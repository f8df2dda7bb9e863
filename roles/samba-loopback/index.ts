import { dirname } from 'node:path'
import { defineRole, type Host } from 'labplay'
import { checkDirectory, storeBindPassword } from './directory.ts'
import { LDAP_CA_FILE, LDAP_CONF, ldapConf, type LdapPassdb } from './passdb.ts'
import { smbConf, smbSettings } from './smb-conf.ts'

const defaults = {
  // CUPS queue shared as the room printer; "" shares no printer.
  printer: 'lp',
  // Share name the guest prints to (\\host\printer), the same in every room.
  printer_share: 'printer',
  // Only members may use /tmp and the printer; "" lets every user with a Samba password in.
  samba_users_group: '',
  // Windows workgroup the server announces in SMB sessions.
  workgroup: 'WORKGROUP',
  // Oldest SMB dialect accepted (SMB2_02 … SMB3_11; SMB1 is never offered).
  server_min_protocol: 'SMB2_10',
  // More [global] lines, "name = value"; cannot override what the role guarantees.
  extra_global: [] as string[],
  // Where Samba checks passwords: tdbsam (its own file on this host) or ldapsam (the campus directory).
  samba_passdb: 'tdbsam',
  // The directory: one ldap:// or ldaps:// URL, or a list of them (tried in order).
  samba_ldap_url: '' as string | string[],
  // The directory's base DN, and where students and groups live below it ("": the base itself).
  samba_ldap_suffix: '',
  samba_ldap_user_suffix: 'ou=people',
  samba_ldap_group_suffix: 'ou=groups',
  // The DN Samba binds as (it must read sambaNTPassword), and its password (secret: masked, sent on stdin).
  samba_ldap_admin_dn: '',
  samba_ldap_admin_password: '',
  // The directory's sambaDomainName; "" means the workgroup. It becomes this host's NetBIOS name.
  samba_ldap_domain: '',
  // StartTLS on ldap:// URLs (false with ldaps://, which is TLS already).
  samba_ldap_start_tls: true,
  // PEM of the CA that signed the directory's certificate; "" trusts the system's CA store.
  samba_ldap_ca_cert: '',
}

// Samba's tools without its daemons: testparm validates smb.conf, smbpasswd and tdbdump (tdb-tools) handle
// secrets.tdb, net asks the directory. samba-common's ucf keeps an smb.conf that is already there.
const TOOLS = ['samba-common-bin', 'tdb-tools']
// Debian's scripts start smbd (and try nmbd) as samba installs: it comes once smbd's configuration is in place.
const SERVER = ['samba']

const ldapsam = (h: Host<typeof defaults>): boolean => h.vars.samba_passdb === 'ldapsam'

// testparm exits 0 on unknown parameters (it only ignores them): treat them as errors too; the dump is not wanted.
const VALIDATE = [
  `out=$(testparm -s %s 2>&1 >/dev/null); rc=$?`,
  `echo "$out" | grep -v -e '^Load smb config files' -e '^Loaded services file OK' -e '^Weak crypto' -e '^Server role' -e '^$'`,
  `[ "$rc" -eq 0 ] && ! echo "$out" | grep -q '^Unknown parameter'`,
].join('\n')

// The loopback-only Samba that serves the student's home, /tmp and the room printer to the Windows guest.
export default defineRole({
  name: 'samba-loopback',
  description: "Samba on 127.0.0.1/::1 port 445 only, sharing the student's home, /tmp and the room printer with the Windows guest.",
  defaults,
  packages: [...TOOLS, ...SERVER],
  tasks: [
    {
      name: "Samba's tools are installed, no Samba daemon yet",
      run: (h) => h.packages(TOOLS),
    },
    {
      name: 'smb.conf listens on loopback only, without guests',
      run: (h) => h.file('/etc/samba/smb.conf', { content: render(h), mode: '0644', owner: 'root', group: 'root', validate: VALIDATE }),
      notify: 'restart smbd',
    },
    {
      name: "the campus directory's CA is trusted for StartTLS",
      when: (h) => ldapsam(h) && h.vars.samba_ldap_ca_cert !== '',
      run: async (h) => {
        const p = directory(h)
        // libldap reads /etc/ldap but does not make it (libldap-common, a recommends of samba's libldap, does).
        await h.directory(dirname(LDAP_CA_FILE), { mode: '0755', owner: 'root', group: 'root' })
        await h.file(LDAP_CA_FILE, { content: p.caCert, mode: '0644', owner: 'root', group: 'root' })
        await h.file(LDAP_CONF, { content: ldapConf(), mode: '0644', owner: 'root', group: 'root' })
      },
      notify: 'restart smbd',
    },
    {
      name: 'Samba holds the password of its directory DN (secrets.tdb)',
      when: ldapsam,
      run: (h) => storeBindPassword(h, directory(h)),
      notify: 'restart smbd',
    },
    {
      name: 'Samba reads the campus domain from the directory',
      when: ldapsam,
      run: (h) => checkDirectory(h, directory(h)),
    },
    {
      name: 'samba is installed: smbd first starts with this smb.conf, nmbd not at all (NetBIOS off)',
      run: (h) => h.packages(SERVER),
    },
    {
      name: 'print spool folder is open to every user',
      run: (h) => h.directory('/var/spool/samba', { mode: '1777', owner: 'root', group: 'root' }),
    },
    {
      name: "the room printer is a CUPS queue of this host",
      when: (h) => h.vars.printer !== '',
      run: printerQueue,
    },
    {
      name: 'samba users group exists',
      when: (h) => h.vars.samba_users_group !== '',
      run: async (h) => {
        const found = await h.probe`getent group ${h.vars.samba_users_group}`
        if (found.code !== 0) h.warn(`group ${h.vars.samba_users_group} does not exist: nobody can use /tmp or the printer`)
      },
    },
    {
      name: 'smbd runs and starts at boot',
      run: (h) => h.service('smbd', { state: 'started', enabled: true }),
    },
    {
      name: 'nmbd (NetBIOS) is stopped and stays off',
      run: (h) => nmbdOff(h),
    },
  ],
  handlers: {
    'restart smbd': (h) => h.service('smbd', { state: 'restarted' }),
  },
})

// A variable that cannot be used fails the first task that reads it (VarError), with a message naming it.
function render(h: Host<typeof defaults>): string {
  return smbConf(h.vars)
}

function directory(h: Host<typeof defaults>): LdapPassdb {
  const { passdb } = smbSettings(h.vars)
  if (passdb.backend !== 'ldapsam') h.fail('samba_passdb: expected ldapsam for this task')
  return passdb
}

// Samba hands each job to the CUPS queue `printer`: without it the guest still sees the share, and its jobs vanish.
async function printerQueue(h: Host<typeof defaults>): Promise<void> {
  const { printer, printerShare } = smbSettings(h.vars)
  // A CUPS class (several printers behind one name) is a queue too: lpstat -p lists printers only.
  const seen = await h.probe`lpstat -p ${printer} || lpstat -c ${printer}`
  if (seen.code === 0) return
  const said = seen.stderr.trim().split('\n')[0]?.slice(0, 200)
  h.warn(seen.code === 127
    ? `CUPS is not installed: print jobs to [${printerShare}] go nowhere (printer: ${printer})`
    : `CUPS has no queue ${printer}: print jobs to [${printerShare}] fail${said ? ` (lpstat: ${said})` : ''}`)
}

// Under systemd nmbd is also masked: a samba upgrade's scripts or another unit cannot start it again.
// Debian's sysv nmbd script exits 0 for status and stop once smb.conf disables NetBIOS, so look at the process itself.
async function nmbdOff(h: Host<typeof defaults>): Promise<unknown> {
  if (h.facts.init === 'systemd') return h.service('nmbd', { state: 'stopped', enabled: false, masked: true })
  const running = await h.probe`pidof nmbd`
  if (running.code === 0) await h.run`start-stop-daemon --stop --quiet --oknodo --retry 5 --exec /usr/sbin/nmbd`
  return h.service('nmbd', { enabled: false })
}
