import { list, VarError, type Vars } from 'labplay'

// The role's variables once checked: every string is safe to place on one smb.conf line.
export interface SmbSettings {
  workgroup: string
  printer: string
  printerShare: string
  usersGroup: string
  minProtocol: string
  extraGlobal: string[]
}

// A variable that cannot go into smb.conf; the role turns it into a task failure.
export class SmbConfError extends Error {}

// SMB1 is never offered: the guest is a current Windows, and SMB1 is what worms speak.
const PROTOCOLS = ['SMB2_02', 'SMB2_10', 'SMB3', 'SMB3_00', 'SMB3_02', 'SMB3_11']

// What extra_global may not override: the role's own [global] lines and their synonyms.
const GUARDED = [
  'server role', 'security', 'interfaces', 'bind interfaces only', 'smb ports', 'disable netbios',
  'map to guest', 'restrict anonymous', 'guest ok', 'public', 'guest only', 'only guest',
  'server min protocol', 'min protocol', 'workgroup', 'usershare max shares', 'load printers',
  'printing', 'printcap name', 'disable spoolss', 'log file', 'logging', 'include', 'config file',
]

// Samba compares parameter names ignoring case and whitespace.
const paramKey = (name: string): string => name.toLowerCase().replace(/\s+/g, '')
const GUARDED_KEYS = new Set(GUARDED.map(paramKey))

// The share names the role writes itself, plus Samba's reserved ones.
const RESERVED_SHARES = new Set(['global', 'homes', 'printers', 'tmp', 'ipc$', 'print$'])

// NUL, line breaks and other control characters would end an smb.conf line early.
const CONTROL = /[\x00-\x1f\x7f]/

// Checks every variable against what its smb.conf line accepts; the message names the variable.
export function smbSettings(vars: Vars): SmbSettings {
  const printer = text(vars, 'printer', /^([A-Za-z0-9_.@-]{1,127})?$/, 'a CUPS queue name (letters, digits, _ . @ -) or "" for no printer')
  const printerShare = text(vars, 'printer_share', /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,79}$/, 'a share name (letters, digits, _ . -)')
  if (RESERVED_SHARES.has(printerShare.toLowerCase())) {
    throw new SmbConfError(`printer_share: '${printerShare}' is taken, expected a name other than ${[...RESERVED_SHARES].join(', ')}`)
  }
  return {
    workgroup: text(vars, 'workgroup', /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/, 'a workgroup of 1 to 15 letters, digits, _ . -'),
    printer,
    printerShare,
    usersGroup: text(vars, 'samba_users_group', /^([A-Za-z0-9_][A-Za-z0-9_.-]{0,63})?$/, 'a group name (letters, digits, _ . -) or "" for every Samba user'),
    minProtocol: oneOf(vars, 'server_min_protocol', PROTOCOLS),
    extraGlobal: extraLines(vars.extra_global),
  }
}

// smb.conf for a Samba reachable only from this machine (and the guest's forward to 127.0.0.1:445).
export function smbConf(vars: Vars): string {
  const s = smbSettings(vars)
  const users = s.usersGroup ? `@${s.usersGroup}` : '%U'
  const global = [
    'server role = standalone server',
    `workgroup = ${s.workgroup}`,
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
    section('tmp', ['comment = /tmp of this machine', 'path = /tmp', 'read only = no', `valid users = ${users}`, 'guest ok = no']),
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

function text(vars: Vars, name: string, pattern: RegExp, expected: string): string {
  const value = vars[name]
  if (typeof value !== 'string') throw new SmbConfError(`${name}: expected ${expected}, got ${describe(value)}`)
  if (!pattern.test(value)) throw new SmbConfError(`${name}: expected ${expected}, got ${JSON.stringify(value)}`)
  return value
}

function oneOf(vars: Vars, name: string, allowed: string[]): string {
  const value = vars[name]
  if (typeof value !== 'string' || !allowed.includes(value)) {
    throw new SmbConfError(`${name}: expected one of ${allowed.join(', ')}, got ${typeof value === 'string' ? JSON.stringify(value) : describe(value)}`)
  }
  return value
}

// `name = value` lines for [global]: one line each, no section header, no continuation, nothing the role guarantees.
function extraLines(value: unknown): string[] {
  return lines(value).map((line, i) => {
    const where = `extra_global[${i}]`
    if (CONTROL.test(line)) throw new SmbConfError(`${where}: expected one line without control characters, got ${JSON.stringify(line)}`)
    const m = /^\s*([A-Za-z][A-Za-z0-9 :*_.-]*?)\s*=\s*(.*?)\s*$/.exec(line)
    if (!m) throw new SmbConfError(`${where}: expected "name = value", got ${JSON.stringify(line)}`)
    const [, param, setting] = m as unknown as [string, string, string]
    if (setting.endsWith('\\')) throw new SmbConfError(`${where}: a trailing backslash would continue the line, got ${JSON.stringify(line)}`)
    if (GUARDED_KEYS.has(paramKey(param))) {
      throw new SmbConfError(`${where}: '${param}' is set by the role (loopback only, no guests), expected another parameter`)
    }
    return `${param} = ${setting}`
  })
}

// The SDK's list() (from -e, a string splits at commas), its error as the role's.
function lines(value: unknown): string[] {
  try {
    return list(value, 'extra_global')
  } catch (error) {
    if (error instanceof VarError) throw new SmbConfError(error.message)
    throw error
  }
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value)
  if (Array.isArray(value)) return 'a list'
  return typeof value === 'object' ? 'a mapping' : `${typeof value} ${JSON.stringify(value)}`
}
