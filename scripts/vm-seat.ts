import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { buildGuestImage } from '../test/lab/guest/image.ts'
import { downloadGuestDebs } from '../test/lab/guest/packages.ts'
import { createLab, type SeatLab } from '../test/lab/lab.ts'
import { connectQmp, type Qmp } from '../test/lab/qmp.ts'
import { colourCount, png, readPpm, type Screen } from '../test/lab/screen.ts'
import { labCache } from '../test/lab/state.ts'
import { ensureVmSeatDisk, startVmSeat, type VmSeat } from '../test/lab/vm-seat.ts'
import { ROOT } from '../test/helpers/labplay.ts'

// GDM's real login screen on a VM seat under TCG (npm run vm-seat): the seat is built from the lab's base and mirror,
// site.yml (less kvm-module: no KVM inside a TCG guest) is applied over SSH, then the greeter is driven through QMP as
// a student would — user name, the session menu, "Windows", the password — and screendumps are kept in out/vm-seat/;
// `--docs` also writes the README's picture of the login screen. Slow (TCG under TCG for the guest): not part of npm test.
const OUT = join(ROOT, 'out', 'vm-seat')
const DOCS = join(ROOT, 'docs')
const STUDENT = 'student'
const PASSWORD = 'Stud3nt-pw'
const SCREEN = { width: 1280, height: 800 }
// Where GDM 43's greeter puts things at 1280x800, read off the screendumps of a first run: the session menu's gear
// (bottom right, once a user name is entered), the menu (GNOME, GNOME on Xorg, Windows), its "Windows" item, the
// password entry (clicking the gear takes the keyboard focus from it).
const GEAR = { x: 1229, y: 749 }
const MENU = { x: 1060, y: 610, width: 210, height: 110 }
const WINDOWS_ITEM = { x: 1123, y: 700 }
const PASSWORD_ENTRY = { x: 620, y: 452 }
const docs = process.argv.includes('--docs')
const keep = process.argv.includes('--keep')
const timings: string[] = []

async function timed<T>(what: string, fn: () => Promise<T>): Promise<T> {
  const started = Date.now()
  const value = await fn()
  const line = `${what}: ${((Date.now() - started) / 1000).toFixed(0)} s`
  timings.push(line)
  console.log(line)
  return value
}

// Polls `probe` every `everyMs` until it returns a value, at most `seconds`.
async function until<T>(what: string, seconds: number, everyMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + seconds * 1000
  while (Date.now() < end) {
    const value = await probe()
    if (value !== undefined) return value
    await sleep(everyMs)
  }
  throw new Error(`${what}: not within ${seconds} s`)
}

async function screen(qmp: Qmp, vm: VmSeat): Promise<Screen> {
  const file = join(vm.dir, 'screen.ppm')
  await qmp.execute('screendump', { filename: file })
  return readPpm(readFileSync(file))
}

// Every picture goes to out/vm-seat/; with --docs, the README's login screen also to docs/.
function keepPicture(name: string, shot: Screen, forReadme = false): void {
  writeFileSync(join(OUT, `${name}.png`), png(shot))
  if (docs && forReadme) writeFileSync(join(DOCS, `vm-seat-${name}.png`), png(shot))
  console.log(`  picture ${join(OUT, `${name}.png`)}`)
}

// Pixels of a part of the screen that differ from its commonest colour: ~200 there for the pointer alone, ~2500
// once the session menu's three lines are drawn.
function drawnIn(shot: Screen, box: { x: number; y: number; width: number; height: number }): number {
  const counts = new Map<number, number>()
  for (let y = box.y; y < box.y + box.height; y++) {
    for (let x = box.x; x < box.x + box.width; x++) {
      const c = shot.rgb.readUIntBE((y * shot.width + x) * 3, 3)
      counts.set(c, (counts.get(c) ?? 0) + 1)
    }
  }
  return box.width * box.height - Math.max(...counts.values())
}

async function openSessionMenu(qmp: Qmp, vm: VmSeat): Promise<Screen> {
  await click(qmp, GEAR)
  return until('the session menu', 120, 3000, async () => {
    const shot = await screen(qmp, vm)
    return drawnIn(shot, MENU) > 1000 ? shot : undefined
  })
}

async function type(qmp: Qmp, text: string): Promise<void> {
  const names: Record<string, string> = { '\n': 'ret', '-': 'minus', ' ': 'spc', '.': 'dot' }
  for (const ch of text) {
    const key = { type: 'qcode', data: names[ch] ?? ch.toLowerCase() }
    await qmp.execute('send-key', { keys: /[A-Z]/.test(ch) ? [{ type: 'qcode', data: 'shift' }, key] : [key] })
    await sleep(120)
  }
}

// A left click at a screen position, through the USB tablet (absolute axes 0…32767).
async function click(qmp: Qmp, at: { x: number; y: number }): Promise<void> {
  const axis = (name: 'x' | 'y', px: number, size: number) => ({ type: 'abs', data: { axis: name, value: Math.round((px * 32767) / (size - 1)) } })
  await qmp.execute('input-send-event', { events: [axis('x', at.x, SCREEN.width), axis('y', at.y, SCREEN.height)] })
  await sleep(300)
  await qmp.execute('input-send-event', { events: [{ type: 'btn', data: { down: true, button: 'left' } }] })
  await sleep(100)
  await qmp.execute('input-send-event', { events: [{ type: 'btn', data: { down: false, button: 'left' } }] })
}

async function ssh(lab: SeatLab, vm: VmSeat, command: string, timeoutMs = 120_000): Promise<string> {
  const r = await lab.controller(['ssh', '-q', '-i', lab.privateKey, '-o', `UserKnownHostsFile=${lab.knownHosts}`, '-o', 'StrictHostKeyChecking=accept-new',
    '-o', 'ConnectTimeout=20', '-o', 'BatchMode=yes', `root@${vm.address}`, command], { timeoutMs })
  if (r.code !== 0) throw new Error(`${vm.name}: ${command}: exit ${r.code}\n${r.stderr}`)
  return r.stdout
}

mkdirSync(OUT, { recursive: true })
const lab = await createLab({ hosts: 1, kind: 'seat', keep })
try {
  const disk = await timed('VM seat disk (built once, then from the cache)', () => ensureVmSeatDisk(lab, lab.hosts[0]!.name))
  const debs = labCache('guest-debs')
  downloadGuestDebs(debs)
  const image = buildGuestImage({ debs })
  const booted = Date.now()
  const vm = await timed('VM seat boot to sshd', () => startVmSeat(lab, disk))
  const qmp = await connectQmp(vm.qmp)

  const inventory = join(vm.dir, 'inventory.ini')
  writeFileSync(inventory, `[windows]\n${vm.name} ansible_host=${vm.address} ansible_user=root ansible_ssh_private_key_file=${lab.privateKey}\n`)
  const vars = join(vm.dir, 'vars.json')
  writeFileSync(vars, JSON.stringify({
    image: image.manifest, vm_memory_mb: 256, vm_cpus: 1,
    launcher_args: ['-fw_cfg', 'name=opt/labplay/session,file=.labplay-session', '-serial', 'file:.labplay-guest.log'],
  }))
  const site = await timed('site.yml over SSH (udpcast, vm-image, samba-loopback, gdm-session)', () => lab.controller([process.execPath, join(ROOT, 'bin/labplay.js'),
    'site.yml', '--skip-tags', 'kvm-module', '-i', inventory, '-e', `@${vars}`, '--known-hosts', lab.knownHosts], { cwd: ROOT, timeoutMs: 30 * 60_000, env: { ...process.env, NO_COLOR: '1' } }))
  console.log(site.stdout.slice(site.stdout.lastIndexOf('PLAY RECAP')))
  if (site.code !== 0) throw new Error(`site.yml exited ${site.code}\n${site.stdout}${site.stderr}`)
  await ssh(lab, vm, `useradd -m -s /bin/bash ${STUDENT} && echo '${STUDENT}:${PASSWORD}' | chpasswd && ` +
    `printf '%s\\n%s\\n' '${PASSWORD}' '${PASSWORD}' | smbpasswd -a -s ${STUDENT} >/dev/null && ` +
    `(umask 077 && printf 'username=${STUDENT}\\npassword=${PASSWORD}\\n' > /home/${STUDENT}/.labplay-session) && chown ${STUDENT}: /home/${STUDENT}/.labplay-session`)

  // GDM restarts its greeter once a session file exists: the login screen has many colours, the console a few.
  const greeter = await timed('site.yml done to the login screen', () => until('the login screen', 1200, 5000, async () => {
    const shot = await screen(qmp, vm)
    return colourCount(shot) > 40 ? shot : undefined
  }))
  keepPicture('greeter', greeter)
  timings.push(`QEMU start to the login screen (site.yml included): ${((Date.now() - booted) / 1000).toFixed(0)} s`)
  await sleep(5000)
  await type(qmp, `${STUDENT}\n`)
  await sleep(15_000)
  keepPicture('password', await screen(qmp, vm))
  keepPicture('sessions', await openSessionMenu(qmp, vm))
  await click(qmp, WINDOWS_ITEM)
  await sleep(8000)
  // Open again: the menu now marks Windows as the chosen session.
  keepPicture('windows-chosen', await openSessionMenu(qmp, vm), true)
  await qmp.execute('send-key', { keys: [{ type: 'qcode', data: 'esc' }] })
  await sleep(4000)
  await click(qmp, PASSWORD_ENTRY)
  await sleep(4000)
  await type(qmp, `${PASSWORD}\n`)

  // The Windows session: GDM starts Xorg on the next VT, Xsession, labvm-session, labvm: the stand-in guest under
  // TCG inside the TCG VM seat. It ends when the guest powers off; GDM shows the login screen again.
  const qemuOf = `pgrep -u ${STUDENT} -x qemu-system-x86 || true`
  await timed('password to the guest started', () => until('the guest in the Windows session', 600, 5000, async () =>
    ((await ssh(lab, vm, qemuOf)).trim() ? true : undefined)))
  // The guest's screen while it runs: a screendump, then its serial log; a dump taken before the log said
  // "powering off" shows the guest (its progress lines are on its screen). The last such dump is kept.
  const serialOf = `cat /home/${STUDENT}/.labplay-guest.log 2>/dev/null || true`
  let shown: Screen | undefined
  await timed('guest started to the guest powered off', () => until('the guest powering off', 1800, 2000, async () => {
    const shot = await screen(qmp, vm)
    if (/powering off/.test(await ssh(lab, vm, serialOf))) return true
    if (colourCount(shot) > 8) shown = shot
    return undefined
  }))
  if (shown) keepPicture('windows-session', shown)
  await timed('guest powered off to the session gone', () => until('the end of the session', 600, 5000, async () =>
    ((await ssh(lab, vm, qemuOf)).trim() ? undefined : true)))
  const serial = await ssh(lab, vm, serialOf)
  console.log(serial.split('\n').filter((l) => l.includes('labplay-guest')).join('\n'))
  const back = await timed('session end to the login screen', () => until('the login screen again', 600, 5000, async () => {
    const shot = await screen(qmp, vm)
    return colourCount(shot) > 40 ? shot : undefined
  }))
  keepPicture('greeter-again', back)
  const left = (await ssh(lab, vm, `pgrep -a -u ${STUDENT} qemu; ls -A /var/tmp/labvm; true`)).trim()
  console.log(`left after the session: ${left || 'no QEMU, no overlay'}`)
  if (left || !/mounted \/\/10\.0\.2\.100\/tmp/.test(serial)) throw new Error('the session did not run as it should (see above)')
  qmp.close()
} finally {
  console.log(timings.join('\n'))
  if (keep) console.log(`lab ${lab.id} kept: npm run lab:down -- --name ${lab.id}`)
  else await lab.destroy()
}
