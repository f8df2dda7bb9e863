import test from 'ava'
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { stringify } from 'yaml'
import { buildGuestImage, type GuestImage } from './lab/guest/image.ts'
import { downloadGuestDebs } from './lab/guest/packages.ts'
import { CONTROLLER, directoryConnections, startDirectory, type Directory, type Student } from './lab/directory.ts'
import { createLab, type SeatLab } from './lab/lab.ts'
import { labCache } from './lab/state.ts'
import { colourCount, png, readXwd } from './lab/screen.ts'
import { BIN, cleanUp, labplay, project, ROOT, type Ran } from './helpers/labplay.ts'
import { seatFingerprint } from './helpers/seat.ts'
import { reportsButChangesNothing } from './helpers/host-state.ts'

// A student's Windows session, end to end, on two seats of room M5 (systemd, packages from the lab's mirror) and the
// campus directory (slapd on the lab network, StartTLS required): the stand-in guest image is published (labplay image publish) into the lab
// inventory's group_vars and site.yml delivers it (udpcast by multicast, vm-image, labvm) with campus-login (NSS and PAM
// from the directory), samba-loopback on ldapsam and gdm-session. Then, on the first seat, as the campus student, GDM's
// part of the "Windows" session is played (test/lab/gdm-stand-in.sh): the guest boots from the delivered image under
// TCG, maps the student's home and tmp shares with the campus password, writes a file in each and powers off, which
// ends the session. GDM itself cannot show a greeter in a container; scripts/vm-seat.ts drives the real one.
let lab: SeatLab
let seat: string
let other: string
let dir: string
let image: GuestImage
let directory: Directory

const STUDENT: Student = { uid: 'student', uidNumber: 10001, password: 'Campus pw;$(x)' }
const HOME = `/home/${STUDENT.uid}`
const ENTRY = '/usr/share/xsessions/windows.desktop'
const OVERLAYS = '/var/tmp/labvm'
const STAND_IN = '/root/gdm-stand-in.sh'
// Room M5's printer (inventory/group_vars/m5.yml): a CUPS queue on the first seat whose back end keeps each job as a file.
const PRINTER = 'm5-laser'
const PRINTED = `/var/spool/${PRINTER}`
// Relative to the student's home, where GDM starts the session: the credentials the stand-in guest reads (fw_cfg,
// mount.cifs's format, which smbclient -A reads too) and its serial console.
const CREDENTIALS = '.labplay-session'
const SERIAL = '.labplay-guest.log'
// The guest boots and powers off in ~7 s under TCG; the bound leaves room for a loaded machine.
const SESSION_BOUND_S = 120
const ARTIFACTS = join(ROOT, 'out', 'test-artifacts', 'windows-session-seat')
// What a lab seat has before labplay: its display manager (GDM cannot start in a container: installed, not started),
// X for the stand-in (xwininfo reads the VM window's geometry), the room's CUPS, and the test's SMB client.
const WORKSTATION = ['gdm3', 'xvfb', 'xauth', 'x11-utils', 'cups', 'smbclient']
// A CUPS back end that writes each job's bytes to <folder>/<job id>.prn (0700: CUPS runs it as root).
const KEEP_BACKEND = `#!/bin/sh
if [ $# -eq 0 ]; then echo 'file keep "Unknown" "Jobs kept as files"'; exit 0; fi
if [ -n "$6" ]; then cat -- "$6"; else cat; fi >"\${DEVICE_URI#keep:}/$1.prn"
`

async function sh(host: string, command: string, input?: string, timeoutMs = 60_000): Promise<string> {
  const out = await lab.exec(host, command, { input, timeoutMs })
  if (out.code !== 0) throw new Error(`${host}: ${command.split('\n')[0]}: exit ${out.code}\n${out.stderr}${out.stdout}`)
  return out.stdout
}

const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`

// The first seat as a lab workstation is before labplay runs: GDM, X, the room printer's queue, and homes made at the
// first login by Debian's own mkhomedir profile ("Create home directory on login", enabled on many campus images) with
// HOME_MODE 0755 in login.defs: campus-login's private homes must win over both.
async function workstation(host: string): Promise<void> {
  await sh(host, `printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d &&
    apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q ${WORKSTATION.join(' ')} >/dev/null; rc=$?;
    rm -f /usr/sbin/policy-rc.d; exit $rc`, undefined, 12 * 60_000)
  await sh(host, `DEBIAN_FRONTEND=noninteractive pam-auth-update --enable mkhomedir && grep -q '^session.*pam_mkhomedir\\.so[[:space:]]*$' /etc/pam.d/common-session &&
    sed -i 's/^#HOME_MODE.*/HOME_MODE\t0755/' /etc/login.defs && grep -q '^HOME_MODE' /etc/login.defs`)
  await sh(host, `cat > /usr/lib/cups/backend/keep && chmod 0700 /usr/lib/cups/backend/keep && mkdir -p ${PRINTED} &&
    systemctl enable --now cups.service >/dev/null 2>&1 && lpadmin -p ${PRINTER} -v keep:${PRINTED} -E`, KEEP_BACKEND)
}

// The lab inventory's group_vars as a campus runs room M5, then the stand-in image published into them by
// `labplay image publish` (a copy: publishing makes its source read-only, and the cached build stays as it is).
// Samba's directory settings are the campus-login ones.
function publish(): void {
  const vars = {
    vm_memory_mb: 256,
    vm_cpus: 1,
    launcher_args: ['-fw_cfg', `name=opt/labplay/session,file=${CREDENTIALS}`, '-serial', `file:${SERIAL}`],
    campus_login: true,
    campus_ldap_url: directory.url,
    campus_ldap_suffix: directory.suffix,
    campus_ldap_ca_cert: directory.caCert,
    workgroup: directory.domain,
    samba_passdb: 'ldapsam',
    samba_ldap_url: '{{ campus_ldap_url }}',
    samba_ldap_suffix: '{{ campus_ldap_suffix }}',
    samba_ldap_ca_cert: '{{ campus_ldap_ca_cert }}',
    samba_ldap_admin_dn: directory.adminDn,
    samba_ldap_admin_password: directory.adminPassword,
  }
  const groupVars = join(lab.dir, 'group_vars', 'all.yml')
  mkdirSync(dirname(groupVars), { recursive: true })
  writeFileSync(groupVars, `# Room M5 as test/windows-session-seat.test.ts runs it.\n${stringify(vars)}`)
  const master = join(dir, basename(image.file))
  copyFileSync(image.file, master)
  const { name, version } = image.manifest
  const published = spawnSync('node', [BIN, 'image', 'publish', master, '--name', name, '--version', version, '--group', 'all', '-i', lab.inventory], { cwd: dir, encoding: 'utf8' })
  if (published.status !== 0) throw new Error(`image publish: exit ${published.status}\n${published.stdout}${published.stderr}`)
}

// The real site.yml (copied, so its retry file lands here) on the campus inventory's m5 narrowed to the lab's seats.
const site = (limit: string, ...args: string[]): Promise<Ran> => labplay(lab, [join(dir, 'site.yml'), '-i', join(ROOT, 'inventory'), '-l', `m5:&lab${limit}`, ...args],
  { cwd: dir, env: { LABPLAY_RECORDS: join(dir, 'runs.db') }, timeoutMs: 10 * 60_000 })

// A login through PAM as GDM's would be (auth with the campus password, then the session that makes the home): su from
// an unprivileged user, which must give the student's password; its stdin line is what su's conversation reads.
const login = (host: string, password: string) => lab.exec(host,
  `setpriv --reuid=65534 --regid=65534 --clear-groups su - ${STUDENT.uid} -c 'id -u; stat -c "%u %a" ~'`, { input: `${password}\n`, timeoutMs: 30_000 })

// One GDM session played by the stand-in; its key=value report.
async function session(out: string, mode = ''): Promise<Record<string, string>> {
  const report = await sh(seat, `bash ${STAND_IN} ${STUDENT.uid} ${ENTRY} 7 ${out} ${OVERLAYS} ${SESSION_BOUND_S} ${mode}`, undefined, (SESSION_BOUND_S + 60) * 1000)
  return Object.fromEntries(report.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()]))
}

test.before(async (t) => {
  t.timeout(15 * 60_000)
  const debs = labCache('guest-debs')
  downloadGuestDebs(debs)
  image = buildGuestImage({ debs })
  lab = await createLab({ hosts: 2, kind: 'seat', prefix: 'm5' })
  ;[seat, other] = lab.hosts.map((h) => h.name) as [string, string]
  dir = project({})
  copyFileSync(join(ROOT, 'playbooks/site.yml'), join(dir, 'site.yml'))
  const started = Date.now()
  ;[directory] = await Promise.all([
    startDirectory(lab, CONTROLLER, { students: [STUDENT] }).then(async (d) => (await d.requireTls(), d)),
    workstation(seat),
  ])
  t.log(`directory up and ${WORKSTATION.join(', ')} installed on ${seat} from the mirror in ${seconds(started)}`)
  publish()
  await sh(seat, `cat > ${STAND_IN}`, readFileSync(fileURLToPath(new URL('lab/gdm-stand-in.sh', import.meta.url)), 'utf8'))
})

test.after.always(() => cleanUp(lab, dir))

test.serial('check mode on a bare seat reports the campus login and the rest, and changes nothing', async (t) => {
  const ran = await reportsButChangesNothing(t, lab, [other], (h) => seatFingerprint(lab, h), () => site(`:&${other}`, '-C'))
  t.regex(ran.stdout, /would install nslcd, libnss-ldapd, libpam-ldapd/)
  t.regex(ran.stdout, /would run: DEBIAN_FRONTEND=noninteractive pam-auth-update --enable ldap campus-login-homes/)
})

test.serial('site.yml delivers the published image to both seats by multicast and sets up the campus login; a rerun changes nothing', async (t) => {
  t.timeout(10 * 60_000)
  let started = Date.now()
  const first = await site('')
  t.log(`site.yml on the two seats: ${seconds(started)}`)
  t.is(first.code, 0, first.stdout.slice(-4000) + first.stderr)
  t.regex(first.stdout, /received .* by multicast/)
  t.regex(first.stdout, new RegExp(`\\[${other}\\] CUPS is not installed: print jobs to \\[printer\\] go nowhere`), 'the seat without a CUPS queue says so')
  t.notRegex(first.stdout, new RegExp(`\\[${seat}\\] CUPS`))
  started = Date.now()
  const again = await site('')
  t.log(`rerun: ${seconds(started)}`)
  for (const host of [seat, other]) t.like(again.recap.get(host), { changed: 0, failed: 0 }, again.stdout)
})

test.serial('both seats know the campus student from the directory; PAM takes the campus password, makes a private home, refuses a wrong one', async (t) => {
  for (const host of [seat, other]) {
    t.is(await sh(host, `getent passwd ${STUDENT.uid}`), `${STUDENT.uid}:x:${STUDENT.uidNumber}:${directory.studentsGid}:${STUDENT.uid}:${HOME}:/bin/bash\n`, host)
  }
  const mark = directoryConnections(readFileSync(directory.logFile, 'utf8')).at(-1)?.conn ?? 0
  const ok = await login(seat, STUDENT.password)
  t.is(ok.code, 0, ok.stderr)
  t.is(ok.stdout, `${STUDENT.uidNumber}\n${STUDENT.uidNumber} 700\n`, 'the home is the student\'s, 0700')
  const wrong = await login(seat, 'not-the-campus-password')
  t.is(wrong.code, 1)
  t.regex(wrong.stderr, /Authentication failure/)
  // pam_ldap checked the password by binding as the student, over TLS (the directory refuses anything else).
  const binds = directoryConnections(readFileSync(directory.logFile, 'utf8')).filter((c) => c.conn > mark && c.from === lab.hosts[0]!.address).flatMap((c) => c.binds)
  t.true(binds.some((b) => b.dn === `uid=${STUDENT.uid},ou=people,${directory.suffix}` && b.ssf > 0), JSON.stringify(binds))
})

test.serial('the Windows session as the campus student: the guest boots from the delivered image, writes into the home and tmp shares, and the session ends by itself', async (t) => {
  await sh(seat, `umask 077 && cat > ${HOME}/${CREDENTIALS} && chown ${STUDENT.uidNumber}:${directory.studentsGid} ${HOME}/${CREDENTIALS}`, `username=${STUDENT.uid}\npassword=${STUDENT.password}\n`)
  const entryExec = (await sh(seat, `sed -n 's/^Exec=//p' ${ENTRY}`)).trim()
  const started = Date.now()
  const r = await session('/tmp/gdm-session')
  t.log(`session ${r.session_ms} ms (whole play ${Date.now() - started} ms)`)
  t.is(r.exec, entryExec, 'what ran is the Exec of the entry the role installed')
  t.is(r.session_rc, '0', `the session ended by itself (timeout: still running after ${SESSION_BOUND_S} s)\n${await sh(seat, 'cat /tmp/gdm-session/session.log')}`)
  // The screen as the student saw it while the guest ran, kept as an artifact (before the checks: a failure keeps it too).
  const screen = readXwd(readFileSync(join(lab.seat(seat).root, 'tmp/gdm-session/guest.xwd')))
  mkdirSync(ARTIFACTS, { recursive: true })
  writeFileSync(join(ARTIFACTS, 'windows-session.png'), png(screen))
  t.log(`screen while the guest ran: ${join(ARTIFACTS, 'windows-session.png')}; the VM window: ${r.qemu_windows}`)
  t.is(r.qemu_window, '1024x768+0+0', `the VM window covers the whole screen (seen: ${r.qemu_windows}; reads without the window manager: ${r.qemu_reads_without_wm})\n${await sh(seat, 'cat /tmp/gdm-session/session.log')}`)

  const serial = await sh(seat, `cat ${HOME}/${SERIAL}`)
  t.regex(serial, /labplay-guest: mounted \/\/10\.0\.2\.100\/student\r?\n/)
  t.regex(serial, /labplay-guest: mounted \/\/10\.0\.2\.100\/tmp\r?\n/)
  t.regex(serial, /labplay-guest: powering off/)
  t.notRegex(serial + (await sh(seat, 'cat /tmp/gdm-session/session.log')), /Campus pw/, 'the password is never printed')
  // Owned by the directory's uid, private to the student on both shares.
  t.is(await sh(seat, `stat -c '%n %u %a' ${HOME}/labplay-guest.txt /tmp/labplay-guest-${STUDENT.uid}.txt`),
    `${HOME}/labplay-guest.txt ${STUDENT.uidNumber} 600\n/tmp/labplay-guest-${STUDENT.uid}.txt ${STUDENT.uidNumber} 600\n`)

  t.deepEqual([screen.width, screen.height], [1024, 768])
  t.true(colourCount(screen) > 8, 'the guest drew on the screen (an empty X screen has one colour)')

  t.is(r.postsession_rc, '0')
  t.is(r.after_qemu, '', 'no QEMU of the student remains')
  t.is(r.after_overlays, '', 'no overlay remains')
  t.is((await lab.exec(seat, 'pgrep -l qemu-system')).stdout, '', 'no QEMU at all')
  const { name, version, sha256 } = image.manifest
  t.is(await sh(seat, `sha256sum < /srv/labplay/images/${name}-${version}.qcow2`), `${sha256}  -\n`, 'the base image is unchanged')
})

test.serial("a print job sent to the printer share, as the guest sends it, arrives at the room printer's CUPS queue", async (t) => {
  const job = `page 1 of ${STUDENT.uid}'s lab report, ${Date.now()}\n`
  // From the seat's loopback Samba, where the guest's relay leads, with the student's campus credentials.
  await sh(seat, `cat > /tmp/report.txt && chown ${STUDENT.uidNumber} /tmp/report.txt && cd /tmp &&
    setpriv --reuid=${STUDENT.uidNumber} --regid=${directory.studentsGid} --init-groups smbclient //127.0.0.1/printer -A ${HOME}/${CREDENTIALS} -c 'print report.txt'`, job)
  // CUPS marks the job completed once its back end has exited, that is once the file is whole: wait for that (bounded).
  const studentsJob = new RegExp(`^${PRINTER}-\\d+\\s+${STUDENT.uid}\\s`, 'm')
  let completed = ''
  for (let i = 0; i < 150 && !studentsJob.test(completed); i++) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, 100))
    completed = (await lab.exec(seat, `lpstat -W completed -o ${PRINTER}`)).stdout
  }
  t.regex(completed, studentsJob, 'the job is the student\'s, and completed')
  t.is(await sh(seat, `cat ${PRINTED}/*.prn`), job)
})

test.serial("another seat cannot reach this seat's Samba (its SSH, the same way, it can)", async (t) => {
  const address = lab.hosts[0]!.address
  const to = (port: number) => lab.exec(other, `timeout 5 bash -c 'exec 3<>/dev/tcp/${address}/${port}'`)
  const samba = await to(445)
  t.is(samba.code, 1)
  t.regex(samba.stderr, /Connection refused/)
  t.is((await to(22)).code, 0)
  t.is((await lab.exec(seat, "timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/445'")).code, 0, 'the seat itself (and its guest, through the relay) reaches it')
})

test.serial("a session that dies under the VM leaves its overlay (and at times its QEMU); GDM's PostSession removes both", async (t) => {
  const r = await session('/tmp/gdm-session-killed', 'kill-launcher')
  t.is(r.session_rc, '137', 'the session was killed while the guest ran')
  // QEMU's gtk display sometimes outlives the X server, sometimes exits with it; the overlay always stays.
  t.log(`after the X server stopped: ${r.left_qemu ? `QEMU ${r.left_qemu}still running` : 'QEMU gone'}`)
  t.regex(r.left_overlays, new RegExp(`^${STUDENT.uid}-\\d+\\.qcow2$`), 'the killed launcher left its overlay')
  t.is(r.postsession_rc, '0')
  t.is(r.after_qemu, '', 'PostSession ended the QEMU')
  t.is(r.after_overlays, '', 'PostSession deleted the overlay')
})
