import test from 'ava'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ImageManifest } from '../src/sdk/manifest.ts'
import { buildGuestImage, type GuestImage } from './lab/guest/image.ts'
import { downloadGuestDebs } from './lab/guest/packages.ts'
import { createLab, type Lab, type LabHost } from './lab/lab.ts'
import { labCache } from './lab/state.ts'
import { cleanUp, labplay, project } from './helpers/labplay.ts'

// The stand-in "Windows" guest on a real host: samba-loopback and vm-image applied by labplay, then labvm boots the
// built disk as the student under TCG; the guest maps the home and tmp shares, writes a file in each and powers off.
let lab: Lab
let host: LabHost
let dir: string
let image: GuestImage
let buildMs: number

const STUDENT = 'student'
const PASSWORD = 'Gu3st pw;$(x)'
const SESSION = '/tmp/labvm-session'
const SERIAL = '/tmp/labvm-serial.log'
// TCG boots the guest in ~2 s and the whole session takes ~10 s here; the bound leaves room for a loaded machine.
const SESSION_BOUND_S = 40
const PLAYBOOK = `- name: A seat's Samba and its Windows launcher
  hosts: lab
  roles:
    - samba-loopback
    - vm-image
`

async function sh(command: string, input?: string): Promise<string> {
  const out = await lab.exec(host.name, command, { input, timeoutMs: 60_000 })
  if (out.code !== 0) throw new Error(`${command}: exit ${out.code}\n${out.stderr}`)
  return out.stdout
}

function vars(manifest: ImageManifest): string {
  const file = join(dir, 'vars.json')
  // qemu-system-gui (the gtk display) is not part of the CI machine's packages; the session is headless.
  writeFileSync(file, JSON.stringify({ image: manifest, vm_packages: ['qemu-utils', 'qemu-system-x86'], vm_display: 'none', vm_memory_mb: 256, vm_cpus: 1 }))
  return `@${file}`
}

test.before(async () => {
  // Set-up only: the packages are downloaded once into the lab's cache, then every run builds (or reuses) from there.
  const debs = labCache('guest-debs')
  downloadGuestDebs(debs)
  const started = Date.now()
  image = buildGuestImage({ debs })
  buildMs = Date.now() - started
  lab = await createLab({ hosts: 1 })
  host = lab.hosts[0]!
  dir = project({ 'site.yml': PLAYBOOK })
  const { name, version } = image.manifest
  // What udpcast would have done: the bytes at the versioned name.
  await sh(`install -D -m 0644 ${image.file} /srv/labplay/images/${name}-${version}.qcow2`)
})

test.after.always(() => cleanUp(lab, dir))

test.serial('the stand-in image is a small standalone qcow2, built once per set of inputs', async (t) => {
  t.log(`image ${image.built ? 'built' : 'from the cache'} in ${buildMs} ms: ${(image.manifest.size / 1e6).toFixed(1)} MB, ${image.manifest.version}`)
  t.true(image.manifest.size < 40e6, `${image.manifest.size} bytes`)
  const info = JSON.parse(await sh(`qemu-img info --output=json ${image.file}`)) as { format: string; 'backing-filename'?: string }
  t.is(info.format, 'qcow2')
  t.is(info['backing-filename'], undefined)
  const again = buildGuestImage({ debs: labCache('guest-debs') })
  t.false(again.built, 'the same inputs come from the cache')
  t.deepEqual(again.manifest, image.manifest)
})

test.serial('labvm boots the guest as the student; it writes into the home and tmp shares over the loopback Samba and powers off', async (t) => {
  const ran = await labplay(lab, [join(dir, 'site.yml'), '-e', vars(image.manifest)], { cwd: dir })
  t.is(ran.code, 0, ran.stdout + ran.stderr)
  await sh(`useradd -m -s /bin/bash ${STUDENT}`)
  await sh(`p=$(cat); printf '%s\\n%s\\n' "$p" "$p" | smbpasswd -a -s ${STUDENT} >/dev/null`, PASSWORD)
  // The session's credentials, private to the student, reach the guest as a file (fw_cfg file=), never on a command line.
  await sh(`umask 077 && cat >${SESSION} && chown ${STUDENT}: ${SESSION}`, `username=${STUDENT}\npassword=${PASSWORD}\n`)

  const options = `-fw_cfg name=opt/labplay/session,file=${SESSION} -serial file:${SERIAL}`
  const session = await sh(`s=$(date +%s%N); timeout ${SESSION_BOUND_S} su ${STUDENT} -c 'labvm ${options}' >/tmp/labvm.log 2>&1; rc=$?; echo "$rc $((($(date +%s%N) - s) / 1000000))"`)
  const [code, ms] = session.trim().split(' ').map(Number)
  const serial = await sh(`cat ${SERIAL}`)
  const log = await sh('cat /tmp/labvm.log')
  t.is(code, 0, `labvm exited ${code} (124: still running after ${SESSION_BOUND_S} s)\n${log}\n${serial}`)
  const toInit = /labplay-guest: init after ([\d.]+) s/.exec(serial)?.[1]
  t.log(`session ${ms} ms, guest kernel to /init ${toInit} s`)
  t.regex(serial, /labplay-guest: mounted \/\/10\.0\.2\.100\/student\r?\n/)
  t.regex(serial, /labplay-guest: mounted \/\/10\.0\.2\.100\/tmp\r?\n/)
  t.regex(serial, /labplay-guest: powering off/)
  t.notRegex(serial + log, /Gu3st/, 'the password is never printed')

  t.regex(await sh(`stat -c %U /home/${STUDENT}/labplay-guest.txt && cat /home/${STUDENT}/labplay-guest.txt`), /^student\nwritten by labplay's stand-in guest for student, boot [0-9a-f-]{36}\n$/)
  t.regex(await sh(`stat -c %U /tmp/labplay-guest-${STUDENT}.txt && cat /tmp/labplay-guest-${STUDENT}.txt`), /^student\nwritten by labplay's stand-in guest for student/)
  const { name, version, sha256 } = image.manifest
  t.is(await sh(`sha256sum < /srv/labplay/images/${name}-${version}.qcow2`), `${sha256}  -\n`, 'the base image is unchanged')
  t.is(await sh('ls -A /var/tmp/labvm'), '', 'no overlay remains')
  t.is((await lab.exec(host.name, 'pgrep -x qemu-system-x86')).code, 1, 'no QEMU remains')
})
