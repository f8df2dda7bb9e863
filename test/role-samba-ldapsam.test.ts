import test from 'ava'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createLab, type Lab, type LabHost } from './lab/lab.ts'
import { directoryConnections, localAccount, startDirectory, type Directory, type DirectoryConnection, type Student } from './lab/directory.ts'
import { cleanUp, labplay, project, type Ran } from './helpers/labplay.ts'
import { fingerprint, reportsButChangesNothing } from './helpers/host-state.ts'

// samba-loopback with the campus directory: slapd on one lab host, two seats whose Samba checks the
// students' passwords against it over the lab network (plain LDAP, then StartTLS with the lab CA).
let lab: Lab
let dir: string
let directory: Directory
let seats: LabHost[]
const alice: Student = { uid: 'alice', uidNumber: 10001, password: 'Alice-campus-1' }
const bob: Student = { uid: 'bob', uidNumber: 10002, password: 'Bob-campus-2' }
// Quotes, a backslash, a percent sign, spaces and UTF-8: what the host-side comparison must read back from tdbdump.
const ADMIN_PASSWORD = `Adm "q" \\ 100% é ${Math.random().toString(36).slice(2, 10)}`
const WRONG_ADMIN_PASSWORD = `not-the-admin-${Math.random().toString(36).slice(2, 10)}`
const runs: Ran[] = []
const playbook = (hosts: string) => `- name: Samba for the Windows guest, students from the campus directory
  hosts: ${hosts}
  roles:
    - samba-loopback
`
// Records how labplay calls smbpasswd (its arguments and a digest of its stdin), then runs the real one.
const SHIM = `#!/bin/bash
input=$(cat; echo x); input=\${input%x}
printf '%s|%s\\n' "$*" "$(printf %s "$input" | sha256sum | cut -d' ' -f1)" >> /root/smbpasswd-calls
printf %s "$input" | /usr/bin/smbpasswd "$@"
`

test.before(async () => {
  lab = await createLab({ hosts: 3, prefix: 'campus' })
  const [server, ...rest] = lab.hosts as [LabHost, LabHost, LabHost]
  seats = rest
  directory = await startDirectory(lab, server.name, { students: [alice], adminPassword: ADMIN_PASSWORD })
  await directory.addStudent(bob)
  for (const seat of seats) {
    for (const student of [alice, bob]) await localAccount(lab, seat.name, directory, student)
    await on(seat, `cat > /usr/local/sbin/smbpasswd && chmod 755 /usr/local/sbin/smbpasswd`, SHIM)
  }
  dir = project({ 'site.yml': playbook(seats.map((s) => s.name).join(':')) })
  writeVars('campus.json', {})
})

test.after.always(() => cleanUp(lab, dir))

function writeVars(name: string, over: Record<string, unknown>): string {
  writeFileSync(join(dir, name), JSON.stringify({
    workgroup: 'CAMPUS',
    samba_passdb: 'ldapsam',
    samba_ldap_url: directory.url,
    samba_ldap_suffix: directory.suffix,
    samba_ldap_admin_dn: directory.adminDn,
    samba_ldap_admin_password: ADMIN_PASSWORD,
    samba_ldap_start_tls: false,
    ...over,
  }))
  return `@${name}`
}

// The real CLI against the seats, its run record in the project folder; every run is kept for the leak checks.
async function play(vars: string, ...args: string[]): Promise<Ran> {
  const ran = await labplay(lab, [join(dir, 'site.yml'), '-e', vars, ...args],
    { cwd: dir, env: { LABPLAY_RECORDS: join(dir, 'runs.db') } })
  runs.push(ran)
  return ran
}

const on = (host: LabHost, command: string, input?: string): Promise<string> => lab.must(host.name, command, { input })

// A student opens their home share on the seat's loopback Samba, as the guest would, and writes a file there.
// After a restart smbd binds port 445 only once it has read the domain from the directory: wait for it (bounded).
const putHome = (seat: LabHost, s: Student, password = s.password) => lab.exec(seat.name, [
  'for i in $(seq 150); do (exec 3<>/dev/tcp/127.0.0.1/445) 2>/dev/null && break; sleep 0.1; done',
  `cd /root && echo "homework of ${s.uid}" > note.txt && smbclient //127.0.0.1/${s.uid} -U '${s.uid}%${password}' -c 'put note.txt homework.txt'`,
].join('\n'))
const smbdPid = (seat: LabHost) => lab.exec(seat.name, 'p=$(cat /run/samba/smbd.pid) && kill -0 "$p" && echo "$p"').then((r) => r.stdout.trim())
const secretsTdb = (seat: LabHost) => on(seat, 'f=/var/lib/samba/private/secrets.tdb; sha256sum "$f"; stat -c %Y.%y "$f"')
const smbpasswdCalls = (seat: LabHost) => lab.exec(seat.name, 'cat /root/smbpasswd-calls 2>/dev/null').then((r) => r.stdout.split('\n').filter(Boolean))
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')
const directoryLog = () => readFileSync(directory.logFile, 'utf8')
const lastConnection = () => directoryConnections(directoryLog()).at(-1)?.conn ?? 0
// The seats' connections after `mark`, once slapd's log has stopped growing for a moment (bounded):
// none is then caught between two of its lines.
async function seatConnections(mark: number): Promise<DirectoryConnection[]> {
  let last = -1
  for (let round = 0; round < 20 && directoryLog().length !== last; round++) {
    last = directoryLog().length
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  return directoryConnections(directoryLog()).filter((c) => c.conn > mark && seats.some((s) => s.address === c.from))
}

test.serial('check mode on a fresh seat reports the directory steps and changes nothing', async (t) => {
  const seat = seats[0]!
  const ran = await reportsButChangesNothing(t, lab, [seat.name], fingerprint(['/etc/samba', '/var/lib/samba']), () => play('@campus.json', '-C', '-v', '-l', seat.name))
  t.regex(ran.stdout, /would run: smbpasswd -s -W/)
  t.regex(ran.stdout, /the directory is not asked in check mode/)
  t.deepEqual(await smbpasswdCalls(seat), [])
})

test.serial('plain LDAP: students open their home share on every seat with their campus password; a wrong one is refused', async (t) => {
  const mark = lastConnection()
  const ran = await play('@campus.json')
  t.is(ran.code, 0, ran.stdout + ran.stderr)
  for (const seat of seats) {
    t.true(ran.recap.get(seat.name)!.changed > 0)
    for (const s of [alice, bob]) {
      const put = await putHome(seat, s)
      t.is(put.code, 0, `${seat.name} ${s.uid}: ${put.stdout}${put.stderr}`)
      t.is(await on(seat, `stat -c %U /home/${s.uid}/homework.txt`), `${s.uid}\n`)
    }
    const wrong = await putHome(seat, alice, 'not-her-password')
    t.regex(wrong.stdout + wrong.stderr, /NT_STATUS_LOGON_FAILURE/)
    const other = await putHome(seat, alice, bob.password)
    t.regex(other.stdout + other.stderr, /NT_STATUS_LOGON_FAILURE/, "bob's password does not open alice's home")
    // The seat's SAM is the campus domain: the SID of the directory's sambaDomain entry.
    t.is(await on(seat, 'net getlocalsid'), `SID for domain CAMPUS is: ${directory.domainSid}\n`)
  }
  const fromSeats = (await seatConnections(mark)).filter((c) => c.bindAttempts > 0)
  t.true(fromSeats.length >= seats.length, 'every seat asked the directory')
  for (const c of fromSeats) {
    t.false(c.startTls || c.tls)
    t.deepEqual(c.binds, Array(c.bindAttempts).fill({ dn: directory.adminDn, ssf: 0 }))
  }
  t.is((await directory.search('(objectClass=sambaDomain)', ['dn'])).match(/^dn: /gm)?.length, 1, 'no seat added a domain of its own')
})

test.serial('a second run reports changed=0 and leaves secrets.tdb and smbd as they were', async (t) => {
  const before = await Promise.all(seats.map(async (s) => [await secretsTdb(s), await smbdPid(s)]))
  const ran = await play('@campus.json')
  t.is(ran.code, 0, ran.stdout + ran.stderr)
  for (const seat of seats) t.is(ran.recap.get(seat.name)!.changed, 0, ran.stdout)
  t.deepEqual(await Promise.all(seats.map(async (s) => [await secretsTdb(s), await smbdPid(s)])), before)
})

test.serial('the admin password travels on stdin only: not in arguments, output at -vvv, or the run record', async (t) => {
  const ran = await play('@campus.json', '-vvv')
  t.is(ran.code, 0, ran.stdout + ran.stderr)
  for (const seat of seats) {
    // One store per seat over all runs so far, with the password twice on stdin and nothing in its arguments.
    t.deepEqual(await smbpasswdCalls(seat), [`-s -W|${sha256(`${ADMIN_PASSWORD}\n${ADMIN_PASSWORD}\n`)}`])
  }
  for (const file of ['runs.db', 'runs.db-wal'].filter((f) => existsSync(join(dir, f)))) {
    t.false(readFileSync(join(dir, file)).includes(Buffer.from(ADMIN_PASSWORD)), `${file} holds no admin password`)
  }
  for (const [i, r] of runs.entries()) {
    t.false(r.stdout.includes(ADMIN_PASSWORD) || r.stderr.includes(ADMIN_PASSWORD), `run ${i} shows the admin password`)
    t.false(r.stdout.includes('100% é'), `run ${i} shows part of the admin password`)
  }
})

test.serial('a changed campus password works at once; the old one no longer does', async (t) => {
  const seat = seats[0]!
  t.teardown(() => directory.setPassword(alice.uid, alice.password))
  await directory.setPassword(alice.uid, 'Alice-new-campus-2')
  const fresh = await putHome(seat, alice, 'Alice-new-campus-2')
  t.is(fresh.code, 0, fresh.stdout + fresh.stderr)
  const old = await putHome(seat, alice)
  t.regex(old.stdout + old.stderr, /NT_STATUS_LOGON_FAILURE/)
})

test.serial('a wrong admin password fails the seat with a message and no restart; the right one is stored again, once', async (t) => {
  const seat = seats[1]!
  const pid = await smbdPid(seat)
  const wrong = await play(writeVars('wrong.json', { samba_ldap_admin_password: WRONG_ADMIN_PASSWORD }), '-l', seat.name)
  t.is(wrong.code, 2, wrong.stdout + wrong.stderr)
  t.is(wrong.recap.get(seat.name)!.failed, 1)
  t.regex(wrong.stdout, /Samba cannot read sambaDomainName=CAMPUS,dc=campus,dc=lab from ldap:\/\/\S+ as cn=samba,ou=system,dc=campus,dc=lab/)
  t.false(wrong.stdout.includes(WRONG_ADMIN_PASSWORD) || wrong.stderr.includes(WRONG_ADMIN_PASSWORD))
  t.is(await smbdPid(seat), pid, 'smbd is not restarted onto a password that cannot bind')

  const fixed = await play('@campus.json', '-l', seat.name)
  t.is(fixed.code, 0, fixed.stdout + fixed.stderr)
  t.regex(fixed.stdout, /stored the password of cn=samba,ou=system,dc=campus,dc=lab in secrets\.tdb/)
  t.regex(fixed.stdout, /restarted smbd/)
  const put = await putHome(seat, bob)
  t.is(put.code, 0, put.stdout + put.stderr)
  const again = await play('@campus.json', '-l', seat.name)
  t.is(again.recap.get(seat.name)!.changed, 0, again.stdout)
})

test.serial('StartTLS: once the directory refuses plain LDAP, the seats bind over TLS with the lab CA', async (t) => {
  await directory.requireTls()
  // What a seat without StartTLS now gets for the Samba DN's bind (the password on stdin, as Samba would send it).
  const plain = await lab.exec(seats[0]!.name, `ldapwhoami -x -H ${directory.url} -D ${directory.adminDn} -y <(cat)`, { input: ADMIN_PASSWORD })
  t.is(plain.code, 13, plain.stdout + plain.stderr)
  t.regex(plain.stderr, /Confidentiality required/)
  const whoamiTls = (seat: LabHost) => lab.exec(seat.name, `ldapwhoami -ZZ -x -H ${directory.url} -D ${directory.adminDn} -y <(cat)`, { input: ADMIN_PASSWORD })
  const untrusted = await whoamiTls(seats[0]!)
  t.not(untrusted.code, 0, 'the lab CA is not trusted before the run')

  const ran = await play(writeVars('tls.json', { samba_ldap_start_tls: true, samba_ldap_ca_cert: directory.caCert }))
  t.is(ran.code, 0, ran.stdout + ran.stderr)
  for (const seat of seats) {
    t.is(await on(seat, 'cat /etc/ldap/campus-ca.pem'), directory.caCert)
    // The seat's own libldap, told nothing but what /etc/ldap/ldap.conf says, now trusts the directory's certificate.
    const trusted = await whoamiTls(seat)
    t.is(trusted.code, 0, trusted.stdout + trusted.stderr)
    t.is(await on(seat, "testparm -s --parameter-name='ldap ssl' 2>/dev/null"), 'start tls\n')
  }
  const mark = lastConnection()
  for (const seat of seats) {
    const put = await putHome(seat, alice)
    t.is(put.code, 0, `${seat.name}: ${put.stdout}${put.stderr}`)
  }
  // Connections that tried a bind (refused or not; after StartTLS, if any).
  const fromSeats = (await seatConnections(mark)).filter((c) => c.bindAttempts > 0)
  t.true(fromSeats.length >= seats.length)
  for (const c of fromSeats) {
    t.true(c.startTls && c.tls, `conn ${c.conn} from ${c.from} negotiated TLS`)
    t.deepEqual(c.binds, Array(c.bindAttempts).fill({ dn: directory.adminDn, ssf: 256 }), `conn ${c.conn}: every bind succeeded over TLS`)
  }
  const again = await play('@tls.json')
  for (const seat of seats) t.is(again.recap.get(seat.name)!.changed, 0, again.stdout)
})

test.serial('variables that would inject smb.conf lines fail the seat before anything changes', async (t) => {
  const seat = seats[0]!
  const sum = await on(seat, 'sha256sum /etc/samba/smb.conf /var/lib/samba/private/secrets.tdb')
  for (const [over, said] of [
    [{ samba_ldap_suffix: 'dc=campus,dc=lab\n[evil]\npath = /' }, /samba_ldap_suffix: expected a DN/],
    [{ samba_ldap_url: 'ldap://x/" guest ok = yes' }, /samba_ldap_url: expected ldap:\/\/host/],
    [{ samba_ldap_admin_password: 'pw\nguest ok = yes' }, /samba_ldap_admin_password: expected one line, got a line break or NUL in it/],
    [{ extra_global: ['ldap ssl = off'] }, /extra_global\[0\]: 'ldap ssl' is set by the role/],
  ] as const) {
    const ran = await play(writeVars('bad.json', { samba_ldap_start_tls: true, samba_ldap_ca_cert: directory.caCert, ...over }), '-l', seat.name)
    t.is(ran.code, 2, ran.stdout + ran.stderr)
    t.regex(ran.stdout, said)
    t.is(ran.recap.get(seat.name)!.changed, 0)
    if ('samba_ldap_admin_password' in over) t.false(ran.stdout.includes('guest ok'), 'the bad password is not shown')
  }
  t.is(await on(seat, 'sha256sum /etc/samba/smb.conf /var/lib/samba/private/secrets.tdb'), sum)
})
