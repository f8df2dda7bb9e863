import { list, VarError, type Vars } from 'labplay'
import { CONTROL, oneOf, text } from './checks.ts'
import { passdbLines, passdbSettings, PASSDB_GUARDED, type Passdb } from './passdb.ts'

// The role's variables once checked: every string is safe to place on one smb.conf line.
export interface SmbSettings {
  workgroup: string
  printer: string
  printerShare: string
  usersGroup: string
  minProtocol: string
  extraGlobal: string[]
  passdb: Passdb
}

// SMB1 is never offered: the guest is a current Windows, and SMB1 is what worms speak.
const PROTOCOLS = ['SMB2_02', 'SMB2_10', 'SMB3', 'SMB3_00', 'SMB3_02', 'SMB3_11']

// What extra_global may not override: the role's own [global] lines and their synonyms.
const GUARDED = [
  'server role', 'security', 'interfaces', 'bind interfaces only', 'smb ports', 'disable netbios',
  'map to guest', 'restrict anonymous', 'guest ok', 'public', 'guest only', 'only guest',
  'server min protocol', 'min protocol', 'workgroup', 'usershare max shares', 'load printers',
  'printing', 'printcap name', 'disable spoolss', 'log file', 'logging', 'include', 'config file',
  ...PASSDB_GUARDED,
]

// Samba compares parameter names ignoring case and whitespace.
const paramKey = (name: string): string => name.toLowerCase().replace(/\s+/g, '')
const GUARDED_KEYS = new Set(GUARDED.map(paramKey))
// With the campus directory the NetBIOS name is the directory's domain (passdb.ts says why).
const LDAPSAM_GUARDED_KEYS = new Set([...GUARDED_KEYS, paramKey('netbios name')])
const PASSDB_KEYS = new Set([...PASSDB_GUARDED, 'netbios name'].map(paramKey))

// The share names the role writes itself, plus Samba's reserved ones.
const RESERVED_SHARES = new Set(['global', 'homes', 'printers', 'tmp', 'ipc$', 'print$'])

// Checks every variable against what its smb.conf line accepts; the message names the variable.
export function smbSettings(vars: Vars): SmbSettings {
  const printer = text(vars, 'printer', /^([A-Za-z0-9_.@-]{1,127})?$/, 'a CUPS queue name (letters, digits, _ . @ -) or "" for no printer')
  const printerShare = text(vars, 'printer_share', /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,79}$/, 'a share name (letters, digits, _ . -)')
  if (RESERVED_SHARES.has(printerShare.toLowerCase())) {
    throw new VarError(`printer_share: '${printerShare}' is taken, expected a name other than ${[...RESERVED_SHARES].join(', ')}`)
  }
  const workgroup = text(vars, 'workgroup', /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/, 'a workgroup of 1 to 15 letters, digits, _ . -')
  const passdb = passdbSettings(vars, workgroup)
  return {
    workgroup,
    printer,
    printerShare,
    usersGroup: text(vars, 'samba_users_group', /^([A-Za-z0-9_][A-Za-z0-9_.-]{0,63})?$/, 'a group name (letters, digits, _ . -) or "" for every Samba user'),
    minProtocol: oneOf(vars, 'server_min_protocol', PROTOCOLS),
    extraGlobal: extraLines(vars.extra_global, passdb.backend === 'ldapsam' ? LDAPSAM_GUARDED_KEYS : GUARDED_KEYS),
    passdb,
  }
}

// smb.conf for a Samba reachable only from this machine (and the guest's forward to 127.0.0.1:445).
export function smbConf(vars: Vars): string {
  const s = smbSettings(vars)
  const users = s.usersGroup ? `@${s.usersGroup}` : '%U'
  const global = [
    'server role = standalone server',
    `workgroup = ${s.workgroup}`,
    ...passdbLines(s.passdb),
    'interfaces = lo',
    'bind interfaces only = yes',
    'smb ports = 445',
    'disable netbios = yes',
    `server min protocol = ${s.minProtocol}`,
    'map to guest = never',
    'restrict anonymous = 2',
    'guest ok = no',
    'usershare max shares = 0',
    'logging = file',
    'log file = /var/log/samba/log.%m',
    'max log size = 1000',
    ...(s.printer
      ? ['load printers = no', 'printing = cups', 'printcap name = cups']
      : ['load printers = no', 'printing = bsd', 'printcap name = /dev/null', 'disable spoolss = yes']),
    ...s.extraGlobal,
  ]
  const sections = [
    section('global', global),
    section('homes', [
      'comment = home of %S',
      'browseable = no',
      'read only = no',
      'valid users = %S',
      'guest ok = no',
      'create mask = 0600',
      'directory mask = 0700',
    ]),
    // Private like the home: Samba's default create mask (0744, the archive bit as x) let every user of the seat
    // read what the guest left in /tmp.
    section('tmp', ['comment = /tmp of this machine', 'path = /tmp', 'read only = no', `valid users = ${users}`, 'guest ok = no', 'create mask = 0600', 'directory mask = 0700']),
  ]
  if (s.printer) {
    sections.push(
      section(s.printerShare, [
        `comment = room printer (CUPS queue ${s.printer})`,
        'path = /var/spool/samba',
        'printable = yes',
        `printer name = ${s.printer}`,
        `valid users = ${users}`,
        'guest ok = no',
      ]),
    )
  }
  return `# Managed by labplay (role samba-loopback): changes here are overwritten.\n${sections.join('\n')}`
}

function section(name: string, lines: string[]): string {
  return `[${name}]\n${lines.map((line) => `   ${line}\n`).join('')}`
}

// `name = value` lines for [global]: one line each, no section header, no continuation, nothing the role guarantees.
function extraLines(value: unknown, guarded: Set<string>): string[] {
  return list(value, 'extra_global').map((line, i) => {
    const where = `extra_global[${i}]`
    if (CONTROL.test(line)) throw new VarError(`${where}: expected one line without control characters, got ${JSON.stringify(line)}`)
    const m = /^\s*([A-Za-z][A-Za-z0-9 :*_.-]*?)\s*=\s*(.*?)\s*$/.exec(line)
    if (!m) throw new VarError(`${where}: expected "name = value", got ${JSON.stringify(line)}`)
    const [, param, setting] = m as unknown as [string, string, string]
    if (setting.endsWith('\\')) throw new VarError(`${where}: a trailing backslash would continue the line, got ${JSON.stringify(line)}`)
    const key = paramKey(param)
    if (guarded.has(key)) {
      const why = PASSDB_KEYS.has(key) ? 'samba_passdb and samba_ldap_* say how Samba authenticates' : 'loopback only, no guests'
      throw new VarError(`${where}: '${param}' is set by the role (${why}), expected another parameter`)
    }
    return `${param} = ${setting}`
  })
}
