import test from 'ava'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildGuestImage, type GuestImage } from './lab/guest/image.ts'
import { downloadGuestDebs } from './lab/guest/packages.ts'
import { createLab, type SeatLab } from './lab/lab.ts'
import { labCache } from './lab/state.ts'
import { colourCount, png, readXwd } from './lab/screen.ts'
import { labplay, project, ROOT } from './helpers/labplay.ts'

// GDM's part of a student's Windows session, played on a real seat (systemd, packages from the lab's mirror):
// samba-loopback, vm-image and gdm-session applied by labplay, the stand-in guest delivered as the image, then what
// GDM runs for the "Windows" entry — /etc/gdm3/Xsession with the entry's Exec, as the student, on an X server (Xvfb),
// and PostSession/Default as root with GDM's environment (test/lab/gdm-stand-in.sh). GDM itself cannot show a greeter
// in a container; scripts/vm-seat.ts drives the real one on a VM seat.
let lab: SeatLab
let seat: string
let dir: string
let image: GuestImage

const STUDENT = 'student'
const PASSWORD = 'S3at pw;$(x)'
const ENTRY = '/usr/share/xsessions/windows.desktop'
const OVERLAYS = '/var/tmp/labvm'
const STAND_IN = '/root/gdm-stand-in.sh'
// Relative to the student's home, where GDM starts the session: the credentials the stand-in guest reads (fw_cfg)
// and its serial console.
const CREDENTIALS = '.labplay-session'
const SERIAL = '.labplay-guest.log'
// The guest boots and powers off in ~6 s under TCG; the bound leaves room for a loaded machine.
const SESSION_BOUND_S = 120
const ARTIFACTS = join(ROOT, 'out', 'test-artifacts', 'gdm-session-seat')
const PLAYBOOK = `- name: A seat's Windows session
  hosts: lab
  roles:
    - samba-loopback
    - vm-image
    - gdm-session
`

async function sh(command: string, input?: string, timeoutMs = 60_000): Promise<string> {
  const out = await lab.exec(seat, command, { input, timeoutMs })
  if (out.code !== 0) throw new Error(`${command}: exit ${out.code}\n${out.stderr}${out.stdout}`)
  return out.stdout
}

// One GDM session played by the stand-in; its key=value report.
async function session(out: string, mode = ''): Promise<Record<string, string>> {
  const report = await sh(`bash ${STAND_IN} ${STUDENT} ${ENTRY} 7 ${out} ${OVERLAYS} ${SESSION_BOUND_S} ${mode}`, undefined, (SESSION_BOUND_S + 60) * 1000)
  return Object.fromEntries(report.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()]))
}

test.before(async (t) => {
  // gdm3 from the mirror is ~230 packages: a minute or two here.
  t.timeout(15 * 60_000)
  const debs = labCache('guest-debs')
  downloadGuestDebs(debs)
  image = buildGuestImage({ debs })
  lab = await createLab({ hosts: 1, kind: 'seat' })
  seat = lab.hosts[0]!.name
  dir = project({ 'site.yml': PLAYBOOK })
  // As a lab seat has them (gdm3 is the seat's display manager, not a role's package); policy-rc.d: GDM cannot
  // start in a container, so it is installed, not started. x11-utils' xwininfo reads the VM window's geometry.
  let started = Date.now()
  await sh(`printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d &&
    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q gdm3 xvfb xauth x11-utils >/dev/null; rc=$?;
    rm -f /usr/sbin/policy-rc.d; exit $rc`, undefined, 12 * 60_000)
  t.log(`gdm3, xvfb, xauth, x11-utils installed from the mirror in ${((Date.now() - started) / 1000).toFixed(0)} s`)
  const { name, version } = image.manifest
  // What udpcast would have done: the bytes at the versioned name.
  const copied = await lab.exec(seat, `mkdir -p /srv/labplay/images && cat > /srv/labplay/images/${name}-${version}.qcow2`,
    { input: readFileSync(image.file), timeoutMs: 60_000 })
  if (copied.code !== 0) throw new Error(`copying the image into ${seat}: ${copied.stderr}`)
  const vars = join(dir, 'vars.json')
  writeFileSync(vars, JSON.stringify({
    image: image.manifest, vm_memory_mb: 256, vm_cpus: 1,
    launcher_args: ['-fw_cfg', `name=opt/labplay/session,file=${CREDENTIALS}`, '-serial', `file:${SERIAL}`],
  }))
  started = Date.now()
  const ran = await labplay(lab, [join(dir, 'site.yml'), '-e', `@${vars}`], { cwd: dir, timeoutMs: 10 * 60_000 })
  if (ran.code !== 0) throw new Error(`labplay exited ${ran.code}\n${ran.stdout}${ran.stderr}`)
  t.log(`samba-loopback, vm-image, gdm-session applied by labplay in ${((Date.now() - started) / 1000).toFixed(0)} s`)
  await sh(`useradd -m -s /bin/bash ${STUDENT}`)
  await sh(`p=$(cat); printf '%s\\n%s\\n' "$p" "$p" | smbpasswd -a -s ${STUDENT} >/dev/null`, PASSWORD)
  await sh(`umask 077 && cat > /home/${STUDENT}/${CREDENTIALS} && chown ${STUDENT}: /home/${STUDENT}/${CREDENTIALS}`, `username=${STUDENT}\npassword=${PASSWORD}\n`)
  await sh(`cat > ${STAND_IN}`, readFileSync(fileURLToPath(new URL('lab/gdm-stand-in.sh', import.meta.url)), 'utf8'))
})

test.after.always(async () => {
  await lab?.destroy()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

test.serial('the Windows session runs the guest full screen on the X display and ends by itself when the guest powers off', async (t) => {
  const entryExec = (await sh(`sed -n 's/^Exec=//p' ${ENTRY}`)).trim()
  const started = Date.now()
  const r = await session('/tmp/gdm-session')
  t.log(`session ${r.session_ms} ms (whole play ${Date.now() - started} ms)`)
  t.is(r.exec, entryExec, 'what ran is the Exec of the entry the role installed')
  t.is(r.session_rc, '0', `the session ended by itself (timeout: still running after ${SESSION_BOUND_S} s)\n${await sh('cat /tmp/gdm-session/session.log')}`)
  t.is(r.qemu_window, '1024x768+0+0', 'the VM window covers the whole screen')

  const serial = await sh(`cat /home/${STUDENT}/${SERIAL}`)
  t.regex(serial, /labplay-guest: mounted \/\/10\.0\.2\.100\/student\r?\n/)
  t.regex(serial, /labplay-guest: mounted \/\/10\.0\.2\.100\/tmp\r?\n/)
  t.regex(serial, /labplay-guest: powering off/)
  t.notRegex(serial + (await sh('cat /tmp/gdm-session/session.log')), /S3at pw/, 'the password is never printed')
  t.is(await sh(`stat -c %U /home/${STUDENT}/labplay-guest.txt /tmp/labplay-guest-${STUDENT}.txt`), `${STUDENT}\n${STUDENT}\n`)

  // The screen as the student saw it while the guest ran, kept as an artifact.
  const screen = readXwd(readFileSync(join(lab.seat(seat).root, 'tmp/gdm-session/guest.xwd')))
  t.deepEqual([screen.width, screen.height], [1024, 768])
  t.true(colourCount(screen) > 8, 'the guest drew on the screen (an empty X screen has one colour)')
  mkdirSync(ARTIFACTS, { recursive: true })
  writeFileSync(join(ARTIFACTS, 'windows-session.png'), png(screen))
  t.log(`screen while the guest ran: ${join(ARTIFACTS, 'windows-session.png')}`)

  t.is(r.postsession_rc, '0')
  t.is(r.after_qemu, '', 'no QEMU remains')
  t.is(r.after_overlays, '', 'no overlay remains')
  const { name, version, sha256 } = image.manifest
  t.is(await sh(`sha256sum < /srv/labplay/images/${name}-${version}.qcow2`), `${sha256}  -\n`, 'the base image is unchanged')
})

test.serial("a session that dies under the VM leaves its overlay (and at times its QEMU); GDM's PostSession removes both", async (t) => {
  const r = await session('/tmp/gdm-session-killed', 'kill-launcher')
  t.is(r.session_rc, '137', 'the session was killed while the guest ran')
  // QEMU's gtk display sometimes outlives the X server, sometimes exits with it; the overlay always stays.
  t.log(`after the X server stopped: ${r.left_qemu ? `QEMU ${r.left_qemu}still running` : 'QEMU gone'}`)
  t.regex(r.left_overlays, new RegExp(`^${STUDENT}-\\d+\\.qcow2$`), 'the killed launcher left its overlay')
  t.is(r.postsession_rc, '0')
  t.is(r.after_qemu, '', 'PostSession ended the QEMU')
  t.is(r.after_overlays, '', 'PostSession deleted the overlay')
})
