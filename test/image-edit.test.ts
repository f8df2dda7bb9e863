import test from 'ava'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { copyFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { buildGuestImage } from './lab/guest/image.ts'
import { downloadGuestDebs } from './lab/guest/packages.ts'
import { labCache } from './lab/state.ts'
import { BIN, ROOT } from './helpers/labplay.ts'

// `labplay image edit` headless (--vnc on 127.0.0.1): the stand-in guest boots read-write from a master disk and
// powers itself off; a blank disk's VM is stopped by two Ctrl-C; published and busy disks are refused. Here KVM
// (kvm_pvm) opens but runs no guest: kvm-module's probe sends the VM to TCG with a warning.
const KVM_RUNS_GUESTS = !existsSync('/sys/module/kvm_pvm')
// TCG boots the stand-in to its poweroff in ~10 s here (5 s of it waiting for a virtio card that edit does not give).
const GUEST_BOUND_MS = 90_000

let dir: string
let inv: string
const running: ChildProcess[] = []

test.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'labplay-edit-test-'))
  inv = join(dir, 'inventory')
  cpSync(join(ROOT, 'inventory'), inv, { recursive: true })
  // Set-up only: the guest's packages are downloaded once into the lab's cache.
  const debs = labCache('guest-debs')
  downloadGuestDebs(debs)
  copyFileSync(buildGuestImage({ debs }).file, join(dir, 'master.qcow2'))
})
test.after.always(() => {
  running.forEach((c) => c.kill('SIGKILL'))
  spawnSync('pkill', ['-KILL', '-f', `^qemu-system-x86_64 -name labplay-image-edit .*${dir}`])
  if (dir) rmSync(dir, { recursive: true, force: true })
})

interface Edit {
  child: ChildProcess
  out: () => string
  err: () => string
  exited: Promise<number | null>
}

function edit(...args: string[]): Edit {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' }
  delete env.DISPLAY
  delete env.WAYLAND_DISPLAY
  const child = spawn('node', [BIN, 'image', 'edit', ...args, '-i', inv], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] })
  running.push(child)
  let out = ''
  let err = ''
  child.stdout!.on('data', (d: Buffer) => (out += d))
  child.stderr!.on('data', (d: Buffer) => (err += d))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return { child, out: () => out, err: () => err, exited }
}

async function until<T>(what: string, ms: number, check: () => T | undefined): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = check()
    if (v !== undefined) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(50)
  }
}

// The first bytes a VNC server sends: its protocol version.
function rfbBanner(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1')
    s.setTimeout(5000, () => s.destroy(new Error('no banner')))
    s.once('data', (d) => {
      resolve(d.toString('latin1'))
      s.destroy()
    })
    s.once('error', reject)
  })
}

const portOf = (e: Edit) => Number(/^VNC on 127\.0\.0\.1:(\d+) \(this machine only\); from your desk: ssh -L \1:127\.0\.0\.1:\1 /m.exec(e.out())?.[1]) || undefined
const qemuPids = () => spawnSync('pgrep', ['-f', `^qemu-system-x86_64 -name labplay-image-edit .*${dir}`], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean)

test.serial('the stand-in guest boots read-write over VNC on loopback, then powers itself off: edit ends, the disk is saved', async (t) => {
  const disk = join(dir, 'master.qcow2')
  const e = edit(disk, '--vnc', '--memory', '256', '--cpus', '1')
  const port = await until('the VNC line', 30_000, () => portOf(e))
  t.regex(await rfbBanner(port), /^RFB 003\.00\d\n$/)
  // QEMU holds the disk's write lock: it is open read-write.
  const info = spawnSync('qemu-img', ['info', disk], { encoding: 'utf8' })
  t.regex(info.stderr, /Failed to get shared "write" lock/, info.stdout)
  t.regex(e.out(), /^editing master\.qcow2 read-write \(256 MiB, 1 CPU, (KVM|TCG)\)$/m)
  if (KVM_RUNS_GUESTS) t.regex(e.out(), /, KVM\)/)
  else t.regex(e.err(), /\[WARNING\]: KVM cannot run guests here \(a test guest .*\): the guest runs under software emulation \(TCG\), much slower/)
  const started = Date.now()
  const code = await Promise.race([e.exited, sleep(GUEST_BOUND_MS, 'timeout', { ref: false })])
  t.log(`guest off ${Date.now() - started} ms after VNC answered`)
  t.is(code, 0, e.out() + e.err())
  t.regex(e.out(), /the guest is off: master\.qcow2 is saved\nnext: labplay image publish master\.qcow2 --name NAME --version VERSION\n$/)
  t.deepEqual(qemuPids(), [])
  t.is(spawnSync('qemu-img', ['check', '-q', disk]).status, 0, 'sound after the session')
})

test.serial('Ctrl-C presses the power button; a guest that ignores it is stopped by a second Ctrl-C, QEMU and its socket gone', async (t) => {
  const made = spawnSync('node', [BIN, 'image', 'new', 'blank', '--size', '64M', '--dir', dir], { encoding: 'utf8' })
  t.is(made.status, 0, made.stderr)
  t.regex(made.stdout, /^created .*\/blank\.qcow2: qcow2, 64\.0 MiB virtual, empty\n/)
  const e = edit('blank', '--dir', dir, '--vnc', '--memory', '128', '--cpus', '1')
  const port = await until('the VNC line', 30_000, () => portOf(e))
  t.regex(await rfbBanner(port), /^RFB /)
  const monitor = /-qmp unix:(\S+),server/.exec(readFileSync(`/proc/${qemuPids()[0]}/cmdline`, 'utf8').replace(/\0/g, ' '))?.[1]
  t.true(monitor !== undefined && existsSync(monitor))
  e.child.kill('SIGINT')
  await until('the power button', 10_000, () => (e.out().includes('asked the guest to shut down') ? true : undefined))
  // SeaBIOS without a bootable disk has no ACPI to answer: the VM stays.
  await sleep(500)
  t.is(qemuPids().length, 1)
  e.child.kill('SIGINT')
  t.is(await e.exited, 99)
  await until('QEMU to end', 10_000, () => (qemuPids().length === 0 ? true : undefined))
  t.false(existsSync(monitor!), 'the monitor folder is removed')
})

test.serial('refused: a published version, a disk open for writing, no display without --vnc (also with a host list for inventory)', async (t) => {
  const image = join(dir, 'published.qcow2')
  copyFileSync(join(dir, 'master.qcow2'), image)
  const published = spawnSync('node', [BIN, 'image', 'publish', image, '--name', 'win11-lab', '--version', '2026.12', '-i', inv], { cwd: dir, encoding: 'utf8' })
  t.is(published.status, 0, published.stderr)
  const refused = edit(image, '--vnc')
  t.is(await refused.exited, 5)
  t.regex(refused.err(), /published\.qcow2 is win11-lab 2026\.12, published for group all \(\S+\): the seats verify those bytes, so it is never edited; make the next version from a copy: labplay image new NAME --from /)

  const copy = spawnSync('node', [BIN, 'image', 'new', 'next', '--from', image, '--dir', dir], { encoding: 'utf8' })
  t.is(copy.status, 0, copy.stderr)
  const holder = spawn('sh', ['-c', 'exec 3>>"$1"; echo ready; exec sleep 60', 'sh', join(dir, 'next.qcow2')], { stdio: ['ignore', 'pipe', 'ignore'] })
  running.push(holder)
  await new Promise((resolve) => holder.stdout!.once('data', resolve))
  const busy = edit('next', '--dir', dir, '--vnc')
  t.is(await busy.exited, 5)
  t.regex(busy.err(), new RegExp(`next\\.qcow2 is open for writing by pid ${holder.pid} \\(sleep\\): is it being edited already\\?`))
  holder.kill('SIGKILL')

  const noDisplay = edit('next', '--dir', dir)
  t.is(await noDisplay.exited, 5)
  t.regex(noDisplay.err(), /no graphical display here \(\$DISPLAY is not set\): give --vnc/)
  // A host list has no group_vars/, so no history names the disk: edit goes on to the display check.
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' }
  delete env.DISPLAY
  delete env.WAYLAND_DISPLAY
  const hostList = spawnSync('node', [BIN, 'image', 'edit', 'next', '--dir', dir, '-i', 'm5-01,m5-02,'], { cwd: dir, env, encoding: 'utf8' })
  t.is(hostList.status, 5, hostList.stderr)
  t.regex(hostList.stderr, /no graphical display here/)
  t.deepEqual(qemuPids(), [])
})
