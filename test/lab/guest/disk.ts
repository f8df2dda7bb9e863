import { execFileSync } from 'node:child_process'
import { closeSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'

const SECTOR = 512
const MiB = 1024 * 1024
// The partition starts at 1 MiB, as fdisk would place it.
export const PARTITION_START = 2048
const FAT16_LBA = 0x0e

// A boot sector: syslinux's MBR code, one active FAT16 partition addressed by LBA (CHS left at its "use LBA" maximum).
export function masterBootRecord(mbrCode: Buffer, sectors: number, diskId: number): Buffer {
  if (mbrCode.length > 440) throw new Error(`MBR code: expected at most 440 bytes, got ${mbrCode.length}`)
  const mbr = Buffer.alloc(SECTOR)
  mbrCode.copy(mbr)
  mbr.writeUInt32LE(diskId >>> 0, 440)
  const entry = Buffer.from([0x80, 0xfe, 0xff, 0xff, FAT16_LBA, 0xfe, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0])
  entry.writeUInt32LE(PARTITION_START, 8)
  entry.writeUInt32LE(sectors, 12)
  entry.copy(mbr, 446)
  mbr.writeUInt16LE(0xaa55, 510)
  return mbr
}

// A sparse file of `bytes` zeros.
function emptyFile(path: string, bytes: number): void {
  const fd = openSync(path, 'wx')
  ftruncateSync(fd, bytes)
  closeSync(fd)
}

// Where the syslinux and mtools binaries were unpacked, and syslinux's MBR code.
export interface BootTools {
  bin: string
  mbr: string
}

// A BIOS-bootable disk: the FAT partition holds `files` (8.3 names) and SYSLINUX, built in files with mtools, never mounted.
export function bootDisk(work: string, tools: BootTools, files: Record<string, string>, diskId: number, out: string): void {
  const bytes = Object.values(files).reduce((sum, f) => sum + readFileSync(f).length, 0)
  const partitionMiB = Math.max(31, Math.ceil((bytes * 1.25) / MiB) + 4)
  const sectors = (partitionMiB * MiB) / SECTOR
  const fat = join(work, 'fat.img')
  emptyFile(fat, partitionMiB * MiB)
  const env = { ...process.env, PATH: `${tools.bin}:${process.env.PATH}`, MTOOLS_SKIP_CHECK: '1' }
  const run = (cmd: string, args: string[]): void => {
    execFileSync(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] })
  }
  // -H: the hidden sectors before the partition, which SYSLINUX's boot sector adds to every sector it reads.
  run('mformat', ['-i', fat, '-H', String(PARTITION_START), '-v', 'LABGUEST', '-N', diskId.toString(16).padStart(8, '0'), '::'])
  for (const [name, source] of Object.entries(files)) run('mcopy', ['-i', fat, source, `::/${name}`])
  run(join(tools.bin, 'syslinux'), ['--install', fat])

  const raw = join(work, 'disk.raw')
  emptyFile(raw, (PARTITION_START + sectors) * SECTOR)
  const fd = openSync(raw, 'r+')
  try {
    writeSync(fd, masterBootRecord(readFileSync(tools.mbr), sectors, diskId), 0, SECTOR, 0)
    writeSync(fd, readFileSync(fat), 0, partitionMiB * MiB, PARTITION_START * SECTOR)
  } finally {
    closeSync(fd)
  }
  execFileSync('qemu-img', ['convert', '-q', '-f', 'raw', '-O', 'qcow2', raw, out])
}
