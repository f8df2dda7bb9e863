// One entry of an initramfs: a folder, a file with its bytes, or a symbolic link to `target`.
export type CpioEntry =
  | { path: string; type: 'dir'; mode: number }
  | { path: string; type: 'file'; mode: number; data: Buffer }
  | { path: string; type: 'symlink'; target: string }

const TYPE = { dir: 0o040000, file: 0o100000, symlink: 0o120000 } as const

const pad4 = (n: number): Buffer => Buffer.alloc((4 - (n % 4)) % 4)

// The kernel's initramfs format ("newc" cpio), owned by root, mtime 0: the same entries give the same bytes.
export function cpioNewc(entries: CpioEntry[]): Buffer {
  const parts: Buffer[] = []
  const add = (ino: number, path: string, mode: number, data: Buffer, nlink: number): void => {
    const name = Buffer.from(`${path}\0`)
    const fields = [ino, mode, 0, 0, nlink, 0, data.length, 0, 0, 0, 0, name.length, 0]
    const header = Buffer.from(`070701${fields.map((f) => f.toString(16).padStart(8, '0')).join('')}`)
    parts.push(header, name, pad4(header.length + name.length), data, pad4(data.length))
  }
  entries.forEach((e, i) => {
    if (!/^[^/]/.test(e.path) || e.path.split('/').includes('..')) throw new Error(`cpio path: expected a relative path, got ${JSON.stringify(e.path)}`)
    const data = e.type === 'file' ? e.data : e.type === 'symlink' ? Buffer.from(e.target) : Buffer.alloc(0)
    const mode = TYPE[e.type] | (e.type === 'symlink' ? 0o777 : e.mode)
    add(i + 1, e.path, mode, data, e.type === 'dir' ? 2 : 1)
  })
  add(0, 'TRAILER!!!', 0, Buffer.alloc(0), 1)
  return Buffer.concat(parts)
}
