import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import type { ImageManifest } from '../../../src/sdk/manifest.ts'
import { labCache } from '../state.ts'
import { cpioNewc, type CpioEntry } from './cpio.ts'
import { bootDisk } from './disk.ts'
import { loadOrder, moduleTree } from './modules.ts'
import { guestDebs, unpack, type Deb, type GuestPackage } from './packages.ts'

// What the guest's /init loads: the network card, fw_cfg (the session's credentials) and SMB3 with the
// crypto it needs at mount time (cifs's own soft dependencies come with it; gcm asks for ctr and ghash at run time).
export const GUEST_MODULES = ['virtio_pci', 'virtio_net', 'qemu_fw_cfg', 'cifs', 'ccm', 'gcm', 'ghash', 'ctr', 'nls_utf8']

// console=ttyS0 last: /dev/console, and so /init's progress, is the serial port; the screen shows the kernel's messages.
export const KERNEL_COMMAND_LINE = 'console=tty0 console=ttyS0,115200 quiet'

const SOURCES = fileURLToPath(new URL('.', import.meta.url))

// Where the .deb files come from and where built images are kept; name and version go into the manifest.
export interface GuestImageOptions {
  debs: string
  cacheDir?: string
  name?: string
  version?: string
}

// A built (or cached) image: its file, the manifest vm-image expects, the cache key, and whether this call built it.
export interface GuestImage {
  file: string
  manifest: ImageManifest
  key: string
  built: boolean
}

// The stand-in "Windows" disk: Debian's kernel and a busybox initramfs behind SYSLINUX on an MBR disk, as a qcow2
// that QEMU's BIOS boots by itself. Built once per set of inputs (packages, this folder's sources, options).
export function buildGuestImage(opts: GuestImageOptions): GuestImage {
  const debs = guestDebs(opts.debs)
  const name = opts.name ?? 'win11-lab'
  const key = cacheKey(debs, name, opts.version)
  const version = opts.version ?? `stand-in-${key.slice(0, 12)}`
  const cacheDir = opts.cacheDir ?? labCache('guest-image')
  const entry = join(cacheDir, key)
  const file = join(entry, `${name}-${version}.qcow2`)
  if (existsSync(join(entry, 'manifest.json'))) {
    return { file, manifest: JSON.parse(readFileSync(join(entry, 'manifest.json'), 'utf8')) as ImageManifest, key, built: false }
  }
  mkdirSync(cacheDir, { recursive: true })
  removeAbandonedBuilds(cacheDir)
  const work = join(cacheDir, `.build-${process.pid}-${randomBytes(4).toString('hex')}`)
  try {
    const out = join(work, 'out')
    mkdirSync(out, { recursive: true })
    build(debs, work, join(out, basename(file)))
    const bytes = readFileSync(join(out, basename(file)))
    const manifest: ImageManifest = { name, version, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), source: file }
    writeFileSync(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`)
    try {
      renameSync(out, entry)
    } catch (error) {
      // Another process built the same inputs meanwhile: its image is as good as ours.
      if (!existsSync(join(entry, 'manifest.json'))) throw error
      return { file, manifest: JSON.parse(readFileSync(join(entry, 'manifest.json'), 'utf8')) as ImageManifest, key, built: false }
    }
    return { file, manifest, key, built: true }
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

// A build whose process died (killed test, power cut) leaves its unpacked kernel behind: ~400 MB each.
function removeAbandonedBuilds(cacheDir: string): void {
  for (const name of readdirSync(cacheDir)) {
    const pid = /^\.build-(\d+)-/.exec(name)?.[1]
    if (pid === undefined || alive(Number(pid))) continue
    rmSync(join(cacheDir, name), { recursive: true, force: true })
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

// Debian never changes the bytes of a package version, so names, versions and sizes identify the packages.
function cacheKey(debs: Record<GuestPackage, Deb>, name: string, version: string | undefined): string {
  const hash = createHash('sha256')
  for (const [role, deb] of Object.entries(debs).sort()) hash.update(`${role} ${deb.package} ${deb.version} ${statSync(deb.file).size}\n`)
  // Every file of this folder shapes the image, except the command line that calls it.
  for (const source of readdirSync(SOURCES).filter((f) => f !== 'cli.ts').sort()) hash.update(`${source}\n`).update(readFileSync(join(SOURCES, source)))
  hash.update(JSON.stringify({ name, version, modules: GUEST_MODULES, cmdline: KERNEL_COMMAND_LINE }))
  return hash.digest('hex')
}

function build(debs: Record<GuestPackage, Deb>, work: string, out: string): void {
  const kernel = join(work, 'kernel')
  const tools = join(work, 'tools')
  unpack(debs.kernel, kernel)
  for (const p of ['busybox-static', 'syslinux', 'syslinux-common', 'mtools'] as const) unpack(debs[p], tools)
  const versions = readdirSync(join(kernel, 'lib/modules'))
  if (versions.length !== 1) throw new Error(`${debs.kernel.file}: expected one lib/modules/<version>, got ${versions.join(', ') || 'none'}`)
  const release = versions[0]!
  const modules = join(kernel, 'lib/modules', release)
  const order = loadOrder(moduleTree(modules), GUEST_MODULES)

  const entries: CpioEntry[] = [
    ...['bin', 'dev', 'lib', 'lib/modules', 'mnt', 'proc', 'sys'].map((path) => ({ path, type: 'dir' as const, mode: 0o755 })),
    { path: 'init', type: 'file', mode: 0o755, data: readFileSync(join(SOURCES, 'init')) },
    { path: 'bin/busybox', type: 'file', mode: 0o755, data: readFileSync(join(tools, 'bin/busybox')) },
    ...order.map((m) => ({ path: `lib/modules/${basename(m)}`, type: 'file' as const, mode: 0o644, data: readFileSync(join(modules, m)) })),
    { path: 'lib/modules/load', type: 'file', mode: 0o644, data: Buffer.from(order.map((m) => `${basename(m)}\n`).join('')) },
  ]
  writeFileSync(join(work, 'initrd.gz'), gzipSync(cpioNewc(entries), { level: 9 }))
  writeFileSync(join(work, 'syslinux.cfg'), [
    '# The stand-in guest boots at once: no prompt, no menu.',
    'DEFAULT guest',
    'PROMPT 0',
    'TIMEOUT 0',
    'LABEL guest',
    '  LINUX /vmlinuz',
    '  INITRD /initrd.gz',
    `  APPEND ${KERNEL_COMMAND_LINE}`,
    '',
  ].join('\n'))
  const files = { 'vmlinuz': join(kernel, 'boot', `vmlinuz-${release}`), 'initrd.gz': join(work, 'initrd.gz'), 'syslinux.cfg': join(work, 'syslinux.cfg') }
  const diskId = parseInt(createHash('sha256').update(release).digest('hex').slice(0, 8), 16)
  bootDisk(work, { bin: join(tools, 'usr/bin'), mbr: join(tools, 'usr/lib/syslinux/mbr/mbr.bin') }, files, diskId, out)
}
