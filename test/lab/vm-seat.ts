import { createHash } from 'node:crypto'
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { generateKey, waitForSsh } from './host.ts'
import { LAB_PACKAGES } from './lab-packages.ts'
import { withLock } from './lock.ts'
import { mirrorSources } from './mirror.ts'
import { must, run } from './run.ts'
import type { SeatLab } from './seat-lab.ts'
import { labCache } from './state.ts'

// A VM seat: a seat's Debian 12 root as an ext4 disk, booted by QEMU under TCG with Debian's own kernel and initrd,
// on the lab's bridge (a tap in the controller namespace). What a container seat cannot have: a console, DRM, a VT,
// so GDM shows its real login screen (scripts/vm-seat.ts drives it).

// The disk's packages beyond the base: the kernel, GDM with GNOME's session and the X server, and every role's
// declared packages (so labplay's run over SSH finds them installed: apt under TCG takes minutes).
const DISK_PACKAGES = ['linux-image-amd64', ...LAB_PACKAGES.sessions!, ...LAB_PACKAGES['VM seat']!]
const BUILD_SCRIPT = fileURLToPath(new URL('vm-seat-build.sh', import.meta.url))
const BUILD_TIMEOUT_MS = 40 * 60_000
const DISK_SIZE = '6G'

// A built disk in the cache: the raw ext4 image and the kernel and initrd that its linux-image package installed.
export interface VmSeatDisk {
  dir: string
  disk: string
  kernel: string
  initrd: string
  key: string
}

// A running VM seat: where labplay and ssh reach it, its QMP monitor and serial console.
export interface VmSeat {
  name: string
  address: string
  dir: string
  qmp: string
  serial: string
  pid: number
}

// The disk, from the cache or built once: the packages installed with apt in `builder` (a container seat of a lab
// on the same base and mirror), its root streamed out with tar, and made into an ext4 image with mke2fs -d; nothing
// is mounted on the machine.
export async function ensureVmSeatDisk(lab: SeatLab, builder: string, log: (line: string) => void = (l) => console.error(l)): Promise<VmSeatDisk> {
  const roles = Object.values((await mirrorSources()).roles).flat()
  const packages = [...new Set([...DISK_PACKAGES, ...roles])].sort()
  const key = createHash('sha256').update(lab.base.key).update(lab.mirror.key).update(JSON.stringify(packages))
    .update(readFileSync(BUILD_SCRIPT)).update(DISK_SIZE).digest('hex').slice(0, 16)
  const dir = labCache(`vm-seat-${key}`)
  const disk = { dir, disk: join(dir, 'disk.img'), kernel: join(dir, 'vmlinuz'), initrd: join(dir, 'initrd.img'), key }
  if (existsSync(dir)) return disk
  return withLock(labCache(`vm-seat-${key}.lock`), BUILD_TIMEOUT_MS, async () => {
    if (existsSync(dir)) return disk
    const tmp = `${dir}.tmp`
    rmSync(tmp, { recursive: true, force: true })
    mkdirSync(join(tmp, 'root'), { recursive: true })
    log(`building a VM seat disk (${packages.length} packages on the seat base, once) in ${dir}`)
    const started = Date.now()
    // A file, not bash -s: apt and dpkg would read the rest of the script from standard input.
    const copied = await lab.exec(builder, 'cat > /root/vm-seat-build.sh', { input: readFileSync(BUILD_SCRIPT) })
    if (copied.code !== 0) throw new Error(`${builder}: cannot write /root/vm-seat-build.sh: ${copied.stderr}`)
    const built = await lab.exec(builder, `bash /root/vm-seat-build.sh ${packages.join(' ')} </dev/null`, { timeoutMs: BUILD_TIMEOUT_MS })
    writeFileSync(join(tmp, 'build.log'), built.stdout + built.stderr)
    if (built.code !== 0) throw new Error(`building the VM seat's root in ${builder} failed (exit ${built.code}); see ${join(tmp, 'build.log')}`)
    // The seat's own root, one file system: /proc, /sys, /dev, /run and /tmp are its mounts, left out.
    const pid = lab.seat(builder).pid
    const tar = `nsenter -t ${pid} --all --root --wd=/proc/${pid}/root tar --one-file-system --xattrs --xattrs-include='*' --acls ` +
      `--numeric-owner -C / -cf - . | tar -x --xattrs --xattrs-include='*' --acls --numeric-owner -p -C ${join(tmp, 'root')}`
    const streamed = await run('bash', ['-o', 'pipefail', '-c', tar], { timeoutMs: 10 * 60_000 })
    // GNU tar exits 1 for "file changed as we read it" (the seat's logs): the tree is still whole.
    if (streamed.code !== 0 && streamed.code !== 1) throw new Error(`streaming ${builder}'s root out failed (exit ${streamed.code}): ${streamed.stderr}`)
    const boot = readdirSync(join(tmp, 'root', 'boot'))
    const kernel = boot.find((f) => f.startsWith('vmlinuz-'))
    const initrd = boot.find((f) => f.startsWith('initrd.img-'))
    if (!kernel || !initrd) throw new Error(`expected vmlinuz-* and initrd.img-* in the VM seat's /boot, got ${boot.join(' ') || 'nothing'}`)
    copyFileSync(join(tmp, 'root', 'boot', kernel), join(tmp, 'vmlinuz'))
    copyFileSync(join(tmp, 'root', 'boot', initrd), join(tmp, 'initrd.img'))
    await must('mke2fs', ['-q', '-F', '-t', 'ext4', '-L', 'labseat', '-d', join(tmp, 'root'), join(tmp, 'disk.img'), DISK_SIZE], { timeoutMs: 10 * 60_000 })
    rmSync(join(tmp, 'root'), { recursive: true, force: true })
    const seconds = (Date.now() - started) / 1000
    writeFileSync(join(tmp, 'info.json'), `${JSON.stringify({ key, base: lab.base.key, mirror: lab.mirror.key, packages, kernel, seconds }, null, 2)}\n`)
    renameSync(tmp, dir)
    log(`VM seat disk ${key} built in ${seconds.toFixed(0)} s`)
    return disk
  })
}

// Boots a VM seat from a copy of `disk` in the lab's folder (so the cached disk never changes), made this lab's
// seat with debugfs (hostname, ssh host key, the lab's key for root, the lab's mirror), at 10.250.X.<last> on the
// lab's bridge; returns once its sshd answers. It ends with the lab (QEMU runs in the controller namespace).
export async function startVmSeat(lab: SeatLab, disk: VmSeatDisk, opts: { name?: string; last?: number; memoryMb?: number; bootSeconds?: number } = {}): Promise<VmSeat> {
  const name = opts.name ?? 'vmseat'
  const address = lab.controllerAddress.replace(/\.1$/, `.${opts.last ?? 50}`)
  const dir = join(lab.dir, name)
  mkdirSync(join(dir, 'files'), { recursive: true })
  const image = join(dir, 'disk.img')
  await must('cp', ['--sparse=always', disk.disk, image], { timeoutMs: 5 * 60_000 })
  const hostKey = join(dir, 'ssh_host_ed25519_key')
  await generateKey(hostKey, name)
  const files: Record<string, string> = {
    '/etc/hostname': `${name}\n`,
    '/etc/hosts': `127.0.0.1\tlocalhost\n127.0.1.1\t${name}\n::1\tlocalhost ip6-localhost ip6-loopback\n`,
    // [trusted=yes]: the lab's mirror is unsigned; it is served from the lab's own controller namespace.
    '/etc/apt/sources.list': `deb [trusted=yes] ${lab.mirror.url} ./\n`,
    '/root/.ssh/authorized_keys': readFileSync(`${lab.privateKey}.pub`, 'utf8'),
    '/etc/ssh/ssh_host_ed25519_key': readFileSync(hostKey, 'utf8'),
    '/etc/ssh/ssh_host_ed25519_key.pub': readFileSync(`${hostKey}.pub`, 'utf8'),
  }
  const commands: string[] = []
  for (const [path, content] of Object.entries(files)) {
    const local = join(dir, 'files', path.replace(/\//g, '_'))
    writeFileSync(local, content, { mode: path.includes('key') ? 0o600 : 0o644 })
    commands.push(`rm ${path}`, `write ${local} ${path}`)
  }
  await must('debugfs', ['-w', '-f', '-', image], { input: `${commands.join('\n')}\n` })
  const check = await must('debugfs', ['-R', 'cat /etc/hostname', image])
  if (check.trim() !== name) throw new Error(`debugfs did not write /etc/hostname into ${image}: got ${JSON.stringify(check)}`)

  const tap = `t${name}`.slice(0, 15)
  await must('ip', ['-n', lab.controllerNs, '-batch', '-'], { input: `tuntap add dev ${tap} mode tap\nlink set ${tap} master br0 up\n` })
  const qmp = join(dir, 'qmp.sock')
  const serial = join(dir, 'serial.log')
  // No gateway: the seat reaches the lab's network and nothing else. tb-size: TCG's translation cache, 1 GB by
  // default, is most of QEMU's memory otherwise.
  const append = `root=/dev/vda rw console=ttyS0 net.ifnames=0 ip=${address}:::255.255.255.0:${name}:eth0:off systemd.hostname=${name}`
  const qemu = ['qemu-system-x86_64', '-name', name, '-machine', 'q35', '-accel', 'tcg,tb-size=256', '-cpu', 'max',
    '-m', String(opts.memoryMb ?? 2048), '-smp', '2', '-kernel', disk.kernel, '-initrd', disk.initrd, '-append', append,
    '-drive', `file=${image},format=raw,if=virtio,cache=unsafe`,
    '-netdev', `tap,id=n0,ifname=${tap},script=no,downscript=no`, '-device', 'virtio-net-pci,netdev=n0',
    '-vga', 'std', '-display', 'none', '-qmp', `unix:${qmp},server=on,wait=off`, '-serial', `file:${serial}`,
    '-device', 'qemu-xhci', '-device', 'usb-tablet', '-device', 'usb-kbd']
  const log = openSync(join(dir, 'qemu.log'), 'a')
  const child = spawn('ip', ['netns', 'exec', lab.controllerNs, ...qemu], { detached: true, stdio: ['ignore', log, log] })
  closeSync(log)
  child.unref()
  let ended: string | undefined
  child.on('exit', (code, signal) => { ended = `QEMU exited ${code ?? signal}` })
  const seconds = opts.bootSeconds ?? 900
  const silent = await waitForSsh(lab.controllerNs, [address], seconds)
  if (silent.length > 0 || ended) {
    const tail = existsSync(serial) ? readFileSync(serial, 'utf8').split('\n').slice(-15).join('\n') : 'no serial log'
    throw new Error(`${name} (${address}): ${ended ?? `no sshd within ${seconds} s`}\n${tail}\n${readFileSync(join(dir, 'qemu.log'), 'utf8')}`)
  }
  return { name, address, dir, qmp, serial, pid: child.pid! }
}
