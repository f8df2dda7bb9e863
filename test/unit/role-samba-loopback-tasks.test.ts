import test from 'ava'
import samba from '../../roles/samba-loopback/index.ts'
import { smbConf } from '../../roles/samba-loopback/smb-conf.ts'
import type { Vars } from '../../src/vars.ts'
import { runTask, type RoleCase } from './role-harness.ts'

// The role's tasks as data (role-harness.ts): variables and the seat in; smb.conf as written, the handler
// notified, the failure said, out. smb-conf.ts's own tests cover every line the renderer can write.

const CONF = 'smb.conf listens on loopback only, without guests'
const SMB_CONF = '/etc/samba/smb.conf'
const rendered = (over: Vars = {}) => smbConf({ ...samba.defaults, ...over })

// Rendering: what lands in smb.conf for these variables, and that smbd is restarted for it.
const renders = test.macro({
  async exec(t, vars: Vars, lines: string[], absent: string[] = []) {
    const r = await runTask(samba, CONF, { vars })
    t.is(r.status, 'changed', r.message)
    const conf = r.written[SMB_CONF] ?? ''
    t.is(conf, rendered(vars))
    for (const line of lines) t.true(conf.includes(`\n   ${line}\n`), line)
    for (const line of absent) t.false(conf.includes(line), line)
    t.deepEqual(r.notified, ['restart smbd'])
  },
  title: (title = '') => `smb.conf: ${title}`,
})

test('the defaults: loopback only, the room printer lp', renders, {}, ['interfaces = lo', 'bind interfaces only = yes', 'printer name = lp', 'valid users = %U'])
test('printer "": no printer share, printing off', renders, { printer: '' }, ['printcap name = /dev/null', 'disable spoolss = yes'], ['[printer]'])
test('a users group limits /tmp and the printer', renders, { samba_users_group: 'students' }, ['valid users = @students', 'valid users = %S'])
test('the oldest dialect raised to SMB3_11', renders, { server_min_protocol: 'SMB3_11' }, ['server min protocol = SMB3_11'])
test('extra_global from -e k=v: a comma-separated string', renders, { extra_global: 'log level = 2, max log size = 50' }, ['log level = 2', 'max log size = 50'])

// Validation: a variable smb.conf cannot hold fails the task before any command reaches the seat.
const refuses = test.macro({
  async exec(t, vars: Vars, message: RegExp) {
    const r = await runTask(samba, CONF, { vars })
    t.is(r.status, 'failed')
    t.regex(r.message ?? '', message)
    t.deepEqual(r.commands, [])
  },
  title: (title = '') => `smb.conf refused before any command: ${title}`,
})

test('a workgroup of 16 letters', refuses, { workgroup: 'A'.repeat(16) }, /^workgroup: expected a workgroup of 1 to 15/)
test('a printer name with a new section in it', refuses, { printer: 'lp\n[evil]' }, /^printer: expected a CUPS queue name/)
test('a printer share named like a built-in one', refuses, { printer_share: 'homes' }, /^printer_share: 'homes' is taken/)
test('SMB1', refuses, { server_min_protocol: 'NT1' }, /^server_min_protocol: expected one of SMB2_02/)
test('extra_global opening the network', refuses, { extra_global: ['interfaces = eth0'] }, /^extra_global\[0\]: 'interfaces' is set by the role/)
test('extra_global as a mapping', refuses, { extra_global: { 'log level': 2 } }, /^extra_global: expected a list/)

test('smb.conf as rendered already: no write, no restart', async (t) => {
  const r = await runTask(samba, CONF, { seat: { files: { [SMB_CONF]: rendered() } } })
  t.deepEqual([r.status, r.runs, r.notified], ['ok', [], []])
})

test("Debian's smb.conf is replaced by a validated write, and smbd restarted", async (t) => {
  const r = await runTask(samba, CONF, { seat: { files: { [SMB_CONF]: '[global]\n   workgroup = WORKGROUP\n' } } })
  t.is(r.status, 'changed')
  t.is(r.runs.length, 1)
  t.regex(r.runs[0]!, /\(\nout=\$\(testparm -s "\$tmp" 2>&1 >\/dev\/null\); rc=\$\?\n/, 'testparm runs on the temporary file before it takes the name')
  t.deepEqual(r.notified, ['restart smbd'])
})

test('testparm refuses the file: the task fails with its words, smbd is not restarted', async (t) => {
  const c: RoleCase = { fails: [[/^p=\/etc\/samba\/smb\.conf\ntmp=/, { code: 97, stderr: 'Unknown parameter encountered: "bogus"\nvalidate command exited 1' }]] }
  const r = await runTask(samba, CONF, c)
  t.is(r.status, 'failed')
  t.is(r.message, 'validation failed: Unknown parameter encountered: "bogus"\nvalidate command exited 1')
  t.deepEqual(r.notified, [])
})

// The users group: asked only when one is set; a missing one is a warning (nobody could use /tmp or the printer).
const GROUP = 'samba users group exists'
test('no samba_users_group: the group task is skipped', async (t) => {
  t.is((await runTask(samba, GROUP)).status, 'skipped')
})
test('a samba_users_group that does not exist: a warning', async (t) => {
  const r = await runTask(samba, GROUP, { vars: { samba_users_group: 'students' }, probes: [['getent group students', { code: 2 }]] })
  t.deepEqual([r.status, r.warnings], ['ok', ['group students does not exist: nobody can use /tmp or the printer']])
})

// nmbd: systemd stops and disables the unit; sysv looks at the process itself (Debian's script says 0 regardless).
const NMBD = 'nmbd (NetBIOS) is stopped and stays off'
test('nmbd under systemd: stopped, disabled and masked through systemctl', async (t) => {
  const r = await runTask(samba, NMBD, { seat: { services: { nmbd: { running: true, enabled: true } } } })
  t.deepEqual(r.runs, ['systemctl disable -- nmbd && systemctl mask -- nmbd && systemctl stop -- nmbd'])
})
test('nmbd under sysv: the running process is stopped by its binary, then its links disabled', async (t) => {
  const r = await runTask(samba, NMBD, { facts: { init: 'sysv' }, seat: { services: { nmbd: { running: false, enabled: true } } }, probes: [['pidof nmbd', '812\n']] })
  t.deepEqual(r.runs, ['start-stop-daemon --stop --quiet --oknodo --retry 5 --exec /usr/sbin/nmbd', 'update-rc.d nmbd disable'])
})
test('nmbd under sysv, already off: nothing runs', async (t) => {
  const r = await runTask(samba, NMBD, { facts: { init: 'sysv' }, seat: { services: { nmbd: {} } }, probes: [['pidof nmbd', { code: 1 }]] })
  t.deepEqual([r.status, r.runs], ['ok', []])
})

// The printer share hands jobs to the CUPS queue `printer`: a seat without it warns (the guest would print into nothing).
const QUEUE = 'the room printer is a CUPS queue of this host'
test('the CUPS queue exists: no warning', async (t) => {
  const r = await runTask(samba, QUEUE, { vars: { printer: 'm5-laser' }, probes: [['lpstat -p m5-laser', 'printer m5-laser is idle.\n']] })
  t.deepEqual([r.status, r.warnings], ['ok', []])
})
test('no such CUPS queue: a warning with lpstat\'s words', async (t) => {
  const r = await runTask(samba, QUEUE, { vars: { printer: 'm5-laser' }, probes: [['lpstat -p m5-laser', { code: 1, stderr: 'lpstat: Invalid destination name in list "m5-laser".\n' }]] })
  t.deepEqual(r.warnings, ['CUPS has no queue m5-laser: print jobs to [printer] fail (lpstat: lpstat: Invalid destination name in list "m5-laser".)'])
})
test('CUPS not installed: a warning', async (t) => {
  const r = await runTask(samba, QUEUE, { probes: [['lpstat -p lp', { code: 127 }]] })
  t.deepEqual(r.warnings, ['CUPS is not installed: print jobs to [printer] go nowhere (printer: lp)'])
})
test('printer "": the queue is not asked for', async (t) => {
  t.is((await runTask(samba, QUEUE, { vars: { printer: '' } })).status, 'skipped')
})
