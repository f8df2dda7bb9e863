import test from 'ava'
import { testWhere } from '../helpers/test-where.ts'
import role from '../../roles/samba-loopback/index.ts'
import { smbConf } from '../../roles/samba-loopback/smb-conf.ts'
import { VarError } from '../../src/sdk/coerce.ts'
import type { Vars } from '../../src/vars.ts'
import { HAS_TESTPARM, testparmDump } from './samba-cases.ts'

// The smb.conf renderer is pure: variables in, text out, or a VarError naming the variable.

const vars = (over: Vars = {}): Vars => ({ ...role.defaults, ...over })

// smb.conf as {section: {parameter: value}}, the way Samba reads it (names ignore case and spaces).
function parse(conf: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {}
  let section: Record<string, string> | undefined
  for (const line of conf.split('\n')) {
    const header = /^\[(.+)\]$/.exec(line.trim())
    if (header) out[header[1]!] = section = {}
    const param = /^\s*([^#;=][^=]*?)\s*=\s*(.*)$/.exec(line)
    if (param && section) section[param[1]!.toLowerCase().replace(/\s+/g, ' ')] = param[2]!
  }
  return out
}

test('defaults: loopback only, port 445, no NetBIOS, no guests, three shares', (t) => {
  const conf = parse(smbConf(vars()))
  t.deepEqual(Object.keys(conf), ['global', 'homes', 'tmp', 'printer'])
  t.like(conf.global, {
    'server role': 'standalone server',
    interfaces: 'lo',
    'bind interfaces only': 'yes',
    'smb ports': '445',
    'disable netbios': 'yes',
    'server min protocol': 'SMB2_10',
    'map to guest': 'never',
    'restrict anonymous': '2',
    'guest ok': 'no',
    'log file': '/var/log/samba/log.%m',
    printing: 'cups',
  })
  t.like(conf.homes, { browseable: 'no', 'read only': 'no', 'valid users': '%S', 'guest ok': 'no' })
  t.like(conf.tmp, { path: '/tmp', 'read only': 'no', 'valid users': '%U', 'guest ok': 'no', 'create mask': '0600', 'directory mask': '0700' })
  t.like(conf.printer, { path: '/var/spool/samba', printable: 'yes', 'printer name': 'lp', 'guest ok': 'no' })
})

test('printer "" shares no printer and turns printing off', (t) => {
  const conf = parse(smbConf(vars({ printer: '' })))
  t.deepEqual(Object.keys(conf), ['global', 'homes', 'tmp'])
  t.like(conf.global, { 'load printers': 'no', 'printcap name': '/dev/null', 'disable spoolss': 'yes' })
})

test('a users group limits /tmp and the printer; each home stays its owner’s', (t) => {
  const conf = parse(smbConf(vars({ samba_users_group: 'students', printer: 'm5-laser', printer_share: 'print' })))
  t.is(conf.tmp!['valid users'], '@students')
  t.is(conf.print!['valid users'], '@students')
  t.is(conf.print!['printer name'], 'm5-laser')
  t.is(conf.homes!['valid users'], '%S')
})

test('extra_global lines land in [global], after the role’s own', (t) => {
  const text = smbConf(vars({ extra_global: ['log level = 2', '  server string=Lab %h  '] }))
  const conf = parse(text)
  t.is(conf.global!['log level'], '2')
  t.is(conf.global!['server string'], 'Lab %h')
  t.true(text.indexOf('log level = 2') < text.indexOf('[homes]'))
})

const rejects = test.macro({
  exec(t, over: Vars, message: RegExp) {
    const error = t.throws(() => smbConf(vars(over)), { instanceOf: VarError })
    t.regex(error!.message, message)
  },
  title: (given, over: Vars) => `rejects ${given ?? JSON.stringify(over)}`,
})

// Anything that could end a line, open a section or continue a line never reaches smb.conf.
for (const name of ['printer', 'printer_share', 'samba_users_group', 'workgroup']) {
  test(`${name} with a newline and a section`, rejects, { [name]: 'x\n[evil]\npath = /' }, new RegExp(`^${name}: expected`))
  test(`${name} with a carriage return`, rejects, { [name]: 'x\rguest ok = yes' }, new RegExp(`^${name}: `))
  test(`${name} with a NUL`, rejects, { [name]: 'x\0' }, new RegExp(`^${name}: `))
  test(`${name} with a bracket`, rejects, { [name]: 'x]' }, new RegExp(`^${name}: `))
  test(`${name} as a number`, rejects, { [name]: 7 }, new RegExp(`^${name}: expected .*, got number 7`))
}
test('workgroup longer than 15', rejects, { workgroup: 'A'.repeat(16) }, /^workgroup: /)
test('SMB1', rejects, { server_min_protocol: 'NT1' }, /^server_min_protocol: expected one of SMB2_02, SMB2_10/)
test('a printer share named like a built-in one', rejects, { printer_share: 'TMP' }, /^printer_share: 'TMP' is taken/)
test('extra_global as a mapping', rejects, { extra_global: { 'log level': 2 } }, /^extra_global: expected a list \(or a comma-separated string\), got a mapping$/)
test('extra_global with a mapping in it', rejects, { extra_global: [{ 'log level': 2 }] }, /^extra_global\[0\]: expected a string, got a mapping$/)
test('extra_global with a number', rejects, { extra_global: [3] }, /^extra_global\[0\]: expected "name = value", got "3"$/)
test('extra_global from -e, a value with a comma in it', rejects, { extra_global: 'hosts allow = 127.0.0.1, ::1' }, /^extra_global\[1\]: expected "name = value", got "::1"$/)
test('extra_global from -e k=v: a string is the SDK list, split at commas', (t) => {
  t.regex(smbConf(vars({ extra_global: 'log level = 2, max log size = 50' })), /\n   log level = 2\n   max log size = 50\n/)
})
test('extra_global with a newline', rejects, { extra_global: ['log level = 1\n[evil]'] }, /^extra_global\[0\]: expected one line/)
test('extra_global with a section header', rejects, { extra_global: ['[evil]'] }, /^extra_global\[0\]: expected "name = value"/)
test('extra_global with a continuation', rejects, { extra_global: ['server string = a \\'] }, /trailing backslash/)
test('extra_global reopening the network', rejects, { extra_global: ['log level = 1', 'Bind  Interfaces Only = no'] }, /^extra_global\[1\]: 'Bind  Interfaces Only' is set by the role/)
test('extra_global adding an interface', rejects, { extra_global: ['interfaces = eth0'] }, /'interfaces' is set by the role/)
test('extra_global allowing guests by a synonym', rejects, { extra_global: ['public = yes'] }, /'public' is set by the role/)
test('extra_global including another file', rejects, { extra_global: ['include = /etc/samba/more.conf'] }, /'include' is set by the role/)

// Samba's own parser has the last word: every shape the role renders loads cleanly.
for (const [title, over] of [
  ['defaults', {}],
  ['no printer', { printer: '' }],
  ['group, printer and extras', { samba_users_group: 'students', printer: 'm5-laser', server_min_protocol: 'SMB3_11', extra_global: ['log level = 2'] }],
] as Array<[string, Vars]>) {
  testWhere(HAS_TESTPARM)(`testparm loads the ${title} config cleanly`, (t) => {
    t.regex(testparmDump(t, smbConf(vars(over))), /\tinterfaces = lo\n/)
  })
}
