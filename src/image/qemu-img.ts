import { execFile, spawn } from 'node:child_process'
import { InputError } from '../errors.ts'

// qemu-img on the controller: what a disk image is, whether it is sound, and making one.

export interface ImageInfo {
  format: string
  virtualSize: number
  backing?: string
}

interface Ran {
  code: number
  stdout: string
  stderr: string
}

function qemuImg(args: string[]): Promise<Ran> {
  return new Promise((resolve, reject) => {
    execFile('qemu-img', args, { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') {
        reject(err.code === 'ENOENT' ? new InputError('qemu-img is not installed (Debian: apt-get install qemu-utils)') : err)
      } else resolve({ code: typeof err?.code === 'number' ? err.code : 0, stdout, stderr })
    })
  })
}

// `qemu-img info --output=json`, without -U: a VM that has the image open read-write holds QEMU's write lock,
// and that is refused here with QEMU's own words.
export async function imageInfo(file: string): Promise<ImageInfo> {
  const out = await qemuImg(['info', '--output=json', '--', file])
  if (out.code !== 0) throw new InputError(`${file}: ${lastLine(out.stderr) || `qemu-img info exited ${out.code}`}`)
  const json = JSON.parse(out.stdout) as { format?: string; 'virtual-size'?: number; 'backing-filename'?: string; 'full-backing-filename'?: string }
  return { format: json.format ?? '?', virtualSize: json['virtual-size'] ?? 0, backing: json['full-backing-filename'] ?? json['backing-filename'] }
}

// What publishing requires of an image, as vm-image will check it on every seat: a qcow2 that passes
// `qemu-img check` and stands alone (--allow-backing lets a backing file through, with a warning).
export async function checkForPublish(file: string, allowBacking: boolean): Promise<{ info: ImageInfo; warnings: string[] }> {
  const info = await imageInfo(file)
  const warnings: string[] = []
  if (info.format !== 'qcow2') throw new InputError(`${file}: expected a qcow2 image, got ${info.format} (qemu-img convert -O qcow2 makes one)`)
  if (info.backing) {
    if (!allowBacking) throw new InputError(`${file} has a backing file (${info.backing}): the seats receive this file alone; flatten it (qemu-img convert -O qcow2 ${file} NEW.qcow2), or give --allow-backing`)
    warnings.push(`${file} has a backing file (${info.backing}); vm-image refuses such an image on the seats until it stands alone`)
  }
  const check = await qemuImg(['check', '-q', '-f', 'qcow2', '--', file])
  // 3: leaked clusters only, space lost but no data at risk (vm-image says the same).
  if (check.code === 3) warnings.push(`${file}: qemu-img check found leaked clusters (harmless, space only; qemu-img check -r leaks fixes it)`)
  else if (check.code !== 0) throw new InputError(`${file} fails qemu-img check (exit ${check.code}): ${lastLine(check.stderr || check.stdout)}`)
  return { info, warnings }
}

// A new, empty qcow2 of `size` (qemu-img's syntax: 60G, 512M, bytes).
export async function createImage(file: string, size: string): Promise<void> {
  const out = await qemuImg(['create', '-q', '-f', 'qcow2', '--', file, size])
  if (out.code !== 0) throw new InputError(`qemu-img create ${file}: ${lastLine(out.stderr)}`)
}

// A standalone copy of `from` (its backing chain flattened), for the next version's master disk; qemu-img's own
// progress goes to a terminal.
export function copyImage(from: string, to: string, progress: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('qemu-img', ['convert', ...(progress ? ['-p'] : []), '-O', 'qcow2', '--', from, to], { stdio: ['ignore', progress ? 'inherit' : 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => void (stderr = (stderr + chunk.toString()).slice(-4000)))
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve() : reject(new InputError(`qemu-img convert ${from} ${to}: ${lastLine(stderr) || `exit ${code}`}`))))
  })
}

function lastLine(text: string): string {
  return text.trim().split('\n').filter(Boolean).slice(-2).join(' ').slice(0, 400)
}
