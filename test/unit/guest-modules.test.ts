import test from 'ava'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadOrder, modinfoStrings, parseModinfo, type ModInfo, type ModuleTree } from '../lab/guest/modules.ts'

// A minimal ELF64 object: the header, .shstrtab, .modinfo, and a section table of null + those two.
function elf(modinfo: string[]): Buffer {
  const names = Buffer.from('\0.shstrtab\0.modinfo\0')
  const info = Buffer.from(modinfo.map((s) => `${s}\0`).join(''))
  const head = Buffer.alloc(64)
  head.write('\x7fELF', 0, 'latin1')
  head[4] = 2
  const namesAt = 64
  const infoAt = namesAt + names.length
  const tableAt = infoAt + info.length
  head.writeBigUInt64LE(BigInt(tableAt), 0x28)
  head.writeUInt16LE(64, 0x3a)
  head.writeUInt16LE(3, 0x3c)
  head.writeUInt16LE(1, 0x3e)
  const section = (name: number, offset: number, size: number) => {
    const s = Buffer.alloc(64)
    s.writeUInt32LE(name, 0)
    s.writeBigUInt64LE(BigInt(offset), 0x18)
    s.writeBigUInt64LE(BigInt(size), 0x20)
    return s
  }
  return Buffer.concat([head, names, info, section(0, 0, 0), section(1, namesAt, names.length), section(11, infoAt, info.length)])
}

test('modinfoStrings reads the .modinfo section of an ELF64 module', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'labplay-modinfo-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'cifs.ko'), elf(['softdep=ccm', 'alias=fs-cifs', 'depends=cifs_md4,fscache', 'name=cifs']))
  t.deepEqual(modinfoStrings(join(dir, 'cifs.ko')), ['softdep=ccm', 'alias=fs-cifs', 'depends=cifs_md4,fscache', 'name=cifs'])
  writeFileSync(join(dir, 'text.ko'), 'not an ELF file at all, but long enough to hold a header ........')
  t.throws(() => modinfoStrings(join(dir, 'text.ko')), { message: /expected an ELF64 kernel module/ })
})

test('parseModinfo: depends, softdeps in both spellings, aliases; names with - read as _', (t) => {
  t.deepEqual(parseModinfo('ghash-generic', ['alias=ghash', 'softdep=pre: crypto-x post: y', 'softdep=gcm', 'depends=gf128mul,net-failover', 'name=ghash_generic']), {
    name: 'ghash_generic', depends: ['gf128mul', 'net_failover'], softdeps: ['crypto-x', 'y', 'gcm'], aliases: ['ghash'],
  })
  t.deepEqual(parseModinfo('plain', ['depends=']), { name: 'plain', depends: [], softdeps: [], aliases: [] })
})

const MODS: Record<string, Partial<ModInfo>> = {
  cifs: { depends: ['netfs', 'cifs_md4'], softdeps: ['crypto-ccm', 'aead2', 'nowhere'] },
  netfs: {},
  cifs_md4: {},
  ccm: { aliases: ['crypto-ccm'] },
  ghash_generic: { depends: ['gf128mul'], aliases: ['ghash'] },
  gf128mul: {},
  virtio_net: { depends: ['virtio'] },
  virtio: { depends: ['virtio_ring'] },
  virtio_ring: {},
  loop_a: { depends: ['loop_b'] },
  loop_b: { depends: ['loop_a'] },
  broken: { depends: ['missing_module'] },
}
const tree: ModuleTree = {
  dir: '/lib/modules/6.1.0-test',
  paths: new Map(Object.keys(MODS).map((name) => [name, `kernel/${name}.ko`])),
  builtin: new Set(['aead', 'aead2', 'aes_generic']),
}
const info = (path: string): ModInfo => {
  const name = path.replace(/^kernel\/|\.ko$/g, '')
  return { name, depends: [], softdeps: [], aliases: [], ...MODS[name] }
}
const order = (wanted: string[]) => loadOrder(tree, wanted, info).map((p) => p.replace(/^kernel\/|\.ko$/g, ''))

test('loadOrder puts dependencies first and loads each module once', (t) => {
  t.deepEqual(order(['virtio_net', 'cifs', 'virtio']), ['virtio_ring', 'virtio', 'virtio_net', 'netfs', 'cifs_md4', 'ccm', 'cifs'])
})

test('loadOrder finds modules by alias and by a name written with -; built-ins are left out', (t) => {
  t.deepEqual(order(['ghash', 'crypto-ccm', 'aes_generic', 'virtio-ring']), ['gf128mul', 'ghash_generic', 'ccm', 'virtio_ring'])
})

test('loadOrder: a missing soft dependency is skipped, a missing wanted module or hard dependency is an error', (t) => {
  t.notThrows(() => order(['cifs']))
  t.throws(() => order(['no_such']), { message: 'kernel module no_such (asked for): expected it in /lib/modules/6.1.0-test, found neither a module nor an alias nor a built-in' })
  t.throws(() => order(['broken']), { message: /kernel module missing_module \(needed by broken\)/ })
})

test('loadOrder ends on a dependency cycle', (t) => {
  t.deepEqual(order(['loop_a']), ['loop_b', 'loop_a'])
})
