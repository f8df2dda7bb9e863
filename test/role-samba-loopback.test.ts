import test from 'ava'
import { join } from 'node:path'
import { createLab, type Lab, type LabHost } from './lab/lab.ts'
import { cleanUp, labplay, project } from './helpers/labplay.ts'
import { fingerprint, reportsButChangesNothing } from './helpers/host-state.ts'

// samba-loopback on real hosts: A runs the role, B is a neighbour on the same LAN that must not get in.
let lab: Lab
let dir: string
let a: LabHost
let b: LabHost
const PASSWORD = 'Stud3nt-pw'
const PLAYBOOK = `- name: Samba for the Windows guest
  hosts: lab
  roles:
    - samba-loopback
`

test.before(async () => {
  lab = await createLab({ hosts: 2 })
  ;[a, b] = lab.hosts as [LabHost, LabHost]
  dir = project({ 'site.yml': PLAYBOOK })
})

test.after.always(() => cleanUp(lab, dir))

const play = (...args: string[]) => labplay(lab, [join(dir, 'site.yml'), '-l', a.name, ...args], { cwd: dir })

const on = (host: LabHost, command: string): Promise<string> => lab.must(host.name, command)

// Listening sockets as "proto address:port", without the lab's own sshd.
async function listeners(host: LabHost): Promise<string[]> {
  const out = await on(host, 'ss -Hltun')
  return out.split('\n').filter(Boolean)
    .map((line) => { const f = line.trim().split(/\s+/); return `${f[0]} ${f[4]}` })
    .filter((l) => l !== `tcp ${host.address}:22`)
    .sort()
}

// Daemons bind and write their pid file a moment after their init script returns: poll, bounded.
async function settled<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 5000
  let value = await read()
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    value = await read()
  }
  return value
}

const LOOPBACK_445 = ['tcp 127.0.0.1:445', 'tcp [::1]:445']
const onlyLoopback = () => settled(() => listeners(a), (l) => l.join() === LOOPBACK_445.join())
const smbdPid = () => lab.exec(a.name, 'p=$(cat /run/samba/smbd.pid) && kill -0 "$p" && echo "$p"').then((r) => r.stdout.trim())
const confSum = () => on(a, 'sha256sum /etc/samba/smb.conf').then((s) => s.split(' ')[0])

// The folders' fingerprint, plus what runs and listens: any change by the role shows.
const STATE = `${fingerprint(['/etc', '/var/spool', '/var/lib/samba', '/var/log/samba'])}; ls -d /run/samba 2>&1; pgrep -x 'smbd|nmbd' || echo none; ss -Hltun`

test.serial('check mode on fresh hosts reports changes, changes nothing and starts nothing', async (t) => {
  const ran = await reportsButChangesNothing(t, lab, lab.hosts.map((h) => h.name), STATE, () => labplay(lab, [join(dir, 'site.yml'), '-C'], { cwd: dir }))
  t.regex(ran.stdout, /would start smbd/)
  t.regex(await on(a, STATE), /none\n/, 'no smbd or nmbd running')
})

test.serial('smbd listens on 127.0.0.1:445 and ::1:445 only; NetBIOS is gone', async (t) => {
  // The stock Debian config with nmbd running: what a freshly installed workstation looks like.
  await on(a, 'service nmbd start')
  const stock = await settled(() => listeners(a), (l) => l.includes('udp 0.0.0.0:137'))
  t.true(stock.includes('udp 0.0.0.0:137'), 'nmbd listened before the run')

  const ran = await play()
  t.is(ran.code, 0, ran.stdout + ran.stderr)
  t.true(ran.recap.get(a.name)!.changed > 0)
  t.deepEqual(await onlyLoopback(), LOOPBACK_445)
  t.is((await lab.exec(a.name, 'pgrep -x nmbd')).code, 1, 'nmbd stopped')
  t.is((await lab.exec(a.name, 'ls /etc/rc2.d/S*nmbd')).code, 2, 'nmbd disabled at boot')
  t.is((await on(a, 'stat -c %a /var/spool/samba')).trim(), '1777')
  await on(a, `useradd -m student && printf '%s\\n%s\\n' ${PASSWORD} ${PASSWORD} | smbpasswd -a -s student`)
})

test.serial('the student reaches /tmp and the home on loopback; anonymous and wrong passwords are refused', async (t) => {
  const put = await lab.exec(a.name, `cd /root && echo from-guest > note.txt && smbclient //127.0.0.1/tmp -U student%${PASSWORD} -c 'put note.txt; ls'`)
  t.is(put.code, 0, put.stdout + put.stderr)
  t.regex(put.stdout, /note\.txt/)
  t.is(await on(a, 'stat -c %U /tmp/note.txt && cat /tmp/note.txt'), 'student\nfrom-guest\n')

  const home = await lab.exec(a.name, `cd /root && smbclient //localhost/student -I ::1 -U student%${PASSWORD} -c 'put note.txt homework.txt'`)
  t.is(home.code, 0, home.stdout + home.stderr)
  t.is(await on(a, 'stat -c %U /home/student/homework.txt'), 'student\n')

  const shares = await lab.exec(a.name, `smbclient -L //127.0.0.1 -U student%${PASSWORD}`)
  t.regex(shares.stdout, /printer\s+Printer\s+room printer \(CUPS queue lp\)/)

  const anonymous = await lab.exec(a.name, 'smbclient -L //127.0.0.1 -N')
  t.not(anonymous.code, 0)
  t.regex(anonymous.stdout + anonymous.stderr, /NT_STATUS_ACCESS_DENIED/)
  const guest = await lab.exec(a.name, `smbclient //127.0.0.1/tmp -N -c ls`)
  t.not(guest.code, 0)
  t.regex(guest.stdout + guest.stderr, /NT_STATUS_ACCESS_DENIED/)
  const wrong = await lab.exec(a.name, `smbclient //127.0.0.1/tmp -U student%not-it -c ls`)
  t.regex(wrong.stdout + wrong.stderr, /NT_STATUS_LOGON_FAILURE/)
})

test.serial('a neighbour on the LAN cannot connect to 445 or 139', async (t) => {
  t.is((await lab.exec(b.name, `timeout 5 bash -c '</dev/tcp/${a.address}/22'`)).code, 0, 'A is reachable from B')
  const smb = await lab.exec(b.name, `timeout 10 smbclient //${a.address}/tmp -U student%${PASSWORD} -c ls`)
  t.not(smb.code, 0)
  t.regex(smb.stdout + smb.stderr, /NT_STATUS_CONNECTION_REFUSED/)
  const netbios = await lab.exec(b.name, `timeout 5 bash -c '</dev/tcp/${a.address}/139' 2>&1`)
  t.regex(netbios.stdout + netbios.stderr, /Connection refused/)
})

test.serial('a second run changes nothing and leaves smbd running as it was', async (t) => {
  const pid = await smbdPid()
  t.regex(pid, /^\d+$/, 'smbd runs')
  const ran = await play()
  t.is(ran.code, 0, ran.stdout + ran.stderr)
  t.is(ran.recap.get(a.name)!.changed, 0, ran.stdout)
  t.is(await smbdPid(), pid)
})

test.serial('an invalid config is never installed and smbd keeps running on the old one', async (t) => {
  const sum = await confSum()
  const pid = await smbdPid()
  t.regex(pid, /^\d+$/, 'smbd runs')
  for (const [line, said] of [
    ['max log size = big', /validation failed: set_variable_helper\(big\): value is not a valid size specifier/],
    ['no such parameter = 1', /validation failed: Unknown parameter encountered: "no such parameter"/],
  ] as const) {
    const ran = await play('-e', JSON.stringify({ printer: 'room-m5', extra_global: [line] }))
    t.is(ran.code, 2, ran.stdout + ran.stderr)
    t.is(ran.recap.get(a.name)!.failed, 1)
    t.regex(ran.stdout, said)
  }
  t.is(await confSum(), sum)
  t.is(await on(a, 'ls -A /etc/samba | grep -c labplay || true'), '0\n', 'no temporary file left')
  t.is(await smbdPid(), pid)
})

test.serial('variables that would inject smb.conf lines fail the host before anything changes', async (t) => {
  const sum = await confSum()
  for (const [vars, said] of [
    [{ printer: 'lp\n[evil]\npath = /\nguest ok = yes' }, /printer: expected a CUPS queue name/],
    [{ samba_users_group: 'students\r\nguest ok = yes' }, /samba_users_group: expected a group name/],
    [{ extra_global: ['interfaces = eth0'] }, /extra_global\[0\]: 'interfaces' is set by the role/],
  ] as const) {
    const ran = await play('-e', JSON.stringify(vars))
    t.is(ran.code, 2, ran.stdout + ran.stderr)
    t.regex(ran.stdout, said)
    t.is(ran.recap.get(a.name)!.changed, 0)
  }
  t.is(await confSum(), sum)
})

test.serial('a new printer name rewrites smb.conf and restarts smbd, once', async (t) => {
  const pid = await smbdPid()
  t.regex(pid, /^\d+$/, 'smbd runs')
  const ran = await play('-e', 'printer=room-m5')
  t.is(ran.code, 0, ran.stdout + ran.stderr)
  t.true(ran.recap.get(a.name)!.changed > 0)
  t.regex(ran.stdout, /restarted smbd/)
  t.regex(await settled(smbdPid, (p) => p !== '' && p !== pid), /^\d+$/)
  t.not(await smbdPid(), pid)
  t.deepEqual(await onlyLoopback(), LOOPBACK_445)
  const shares = await lab.exec(a.name, `smbclient -L //127.0.0.1 -U student%${PASSWORD}`)
  t.regex(shares.stdout, /room printer \(CUPS queue room-m5\)/)
  const again = await play('-e', 'printer=room-m5')
  t.is(again.recap.get(a.name)!.changed, 0, again.stdout)
})
