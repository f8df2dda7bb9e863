import test from 'ava'
import { cpioNewc, type CpioEntry } from '../lab/guest/cpio.ts'

interface Read {
  path: string
  mode: number
  uid: number
  mtime: number
  data: string
}

// An independent reader of the newc format, as the kernel's initramfs unpacker walks it.
function readNewc(buf: Buffer): Read[] {
  const out: Read[] = []
  let at = 0
  const align = (n: number) => (n + 3) & ~3
  for (;;) {
    if (at % 4 !== 0) throw new Error(`header at ${at} is not 4-aligned`)
    if (buf.toString('latin1', at, at + 6) !== '070701') throw new Error(`bad magic at ${at}`)
    const field = (i: number) => parseInt(buf.toString('latin1', at + 6 + i * 8, at + 14 + i * 8), 16)
    const [mode, uid, mtime, size, nameSize] = [field(1), field(2), field(5), field(6), field(11)]
    const path = buf.toString('latin1', at + 110, at + 110 + nameSize - 1)
    const dataAt = align(at + 110 + nameSize)
    if (path === 'TRAILER!!!') return out
    out.push({ path, mode, uid, mtime, data: buf.toString('latin1', dataAt, dataAt + size) })
    at = align(dataAt + size)
  }
}

test('entries come back with their type, mode and bytes, owned by root at mtime 0', (t) => {
  const entries: CpioEntry[] = [
    { path: 'bin', type: 'dir', mode: 0o755 },
    { path: 'init', type: 'file', mode: 0o755, data: Buffer.from('#!/bin/sh\n') },
    { path: 'bin/sh', type: 'symlink', target: 'busybox' },
    { path: 'lib/modules/a.ko', type: 'file', mode: 0o644, data: Buffer.from('abcde') },
  ]
  const archive = cpioNewc(entries)
  t.is(archive.length % 4, 0)
  t.deepEqual(readNewc(archive), [
    { path: 'bin', mode: 0o040755, uid: 0, mtime: 0, data: '' },
    { path: 'init', mode: 0o100755, uid: 0, mtime: 0, data: '#!/bin/sh\n' },
    { path: 'bin/sh', mode: 0o120777, uid: 0, mtime: 0, data: 'busybox' },
    { path: 'lib/modules/a.ko', mode: 0o100644, uid: 0, mtime: 0, data: 'abcde' },
  ])
  t.deepEqual(cpioNewc(entries), archive, 'the same entries give the same bytes')
})

test('an empty archive is just the trailer', (t) => {
  t.deepEqual(readNewc(cpioNewc([])), [])
  t.is(cpioNewc([]).toString('latin1', 0, 6), '070701')
})

for (const path of ['/init', '../etc/passwd', 'lib/../../x', '']) {
  test(`a path such as ${JSON.stringify(path)} is refused`, (t) => {
    t.throws(() => cpioNewc([{ path, type: 'dir', mode: 0o755 }]), { message: /cpio path: expected a relative path/ })
  })
}
