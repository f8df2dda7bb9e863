import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs'
import { basename, join } from 'node:path'

// What a kernel module's .modinfo section says about loading it.
export interface ModInfo {
  name: string
  depends: string[]
  softdeps: string[]
  aliases: string[]
}

// A kernel's modules as Debian ships them (no modules.dep: depmod runs at install time, never here).
export interface ModuleTree {
  dir: string                   // lib/modules/<version>
  paths: Map<string, string>    // module name → path relative to dir
  builtin: Set<string>          // names and aliases the kernel has built in
}

// Module names compare with '-' and '_' as one.
export const moduleName = (s: string): string => s.replace(/-/g, '_')

function read(fd: number, offset: number, length: number): Buffer {
  const buf = Buffer.alloc(length)
  readSync(fd, buf, 0, length, offset)
  return buf
}

// The NUL-separated key=value strings of an ELF64 module's .modinfo section; reads only the headers and that section.
export function modinfoStrings(file: string): string[] {
  const fd = openSync(file, 'r')
  try {
    const head = read(fd, 0, 64)
    if (head.toString('latin1', 0, 4) !== '\x7fELF' || head[4] !== 2) throw new Error(`${file}: expected an ELF64 kernel module`)
    const shoff = Number(head.readBigUInt64LE(0x28))
    const size = head.readUInt16LE(0x3a)
    const count = head.readUInt16LE(0x3c)
    const table = read(fd, shoff, size * count)
    const section = (i: number) => ({
      name: table.readUInt32LE(i * size),
      offset: Number(table.readBigUInt64LE(i * size + 0x18)),
      size: Number(table.readBigUInt64LE(i * size + 0x20)),
    })
    const names = section(head.readUInt16LE(0x3e))
    const nameTable = read(fd, names.offset, names.size)
    for (let i = 0; i < count; i++) {
      const s = section(i)
      if (nameTable.toString('latin1', s.name, nameTable.indexOf(0, s.name)) !== '.modinfo') continue
      return read(fd, s.offset, s.size).toString('latin1').split('\0').filter(Boolean)
    }
    return []
  } finally {
    closeSync(fd)
  }
}

// depends=a,b (module names); softdep=pre: c post: d (names or aliases; or bare, as cifs writes it); alias= one a line.
export function parseModinfo(fallbackName: string, strings: string[]): ModInfo {
  const info: ModInfo = { name: moduleName(fallbackName), depends: [], softdeps: [], aliases: [] }
  for (const line of strings) {
    const at = line.indexOf('=')
    const key = line.slice(0, at)
    const value = line.slice(at + 1)
    if (key === 'name') info.name = moduleName(value)
    else if (key === 'depends') info.depends.push(...value.split(',').filter(Boolean).map(moduleName))
    else if (key === 'softdep') info.softdeps.push(...value.split(/\s+/).filter((w) => w && !w.endsWith(':')))
    else if (key === 'alias') info.aliases.push(value)
  }
  return info
}

// Indexes lib/modules/<version> by module name, from modules.order and the built-in lists.
export function moduleTree(dir: string): ModuleTree {
  const paths = new Map<string, string>()
  for (const path of readFileSync(join(dir, 'modules.order'), 'utf8').split('\n').filter(Boolean)) {
    if (existsSync(join(dir, path))) paths.set(moduleName(basename(path).replace(/\.ko.*$/, '')), path)
  }
  const builtin = new Set<string>()
  for (const rel of readFileSync(join(dir, 'modules.builtin'), 'utf8').split('\n').filter(Boolean)) {
    builtin.add(moduleName(basename(rel, '.ko')))
  }
  // modules.builtin.modinfo: "module.key=value" strings; built-in aliases satisfy a dependency too.
  for (const line of readFileSync(join(dir, 'modules.builtin.modinfo'), 'latin1').split('\0')) {
    const m = /^[^.]+\.alias=(.+)$/.exec(line)
    if (m) builtin.add(m[1]!)
  }
  return { dir, paths, builtin }
}

// The modules to load for `wanted` (names or aliases), dependencies first; built-in ones are left out.
// A wanted module or a hard dependency that cannot be found is an error; a soft dependency is only a wish.
export function loadOrder(tree: ModuleTree, wanted: string[], info: (path: string) => ModInfo = (p) => parseModinfo(basename(p, '.ko'), modinfoStrings(join(tree.dir, p)))): string[] {
  const infos = new Map<string, ModInfo>()
  let aliases: Map<string, string> | undefined
  const byAlias = (alias: string): string | undefined => {
    aliases ??= new Map([...tree.paths].flatMap(([name, path]) => info(path).aliases.map((a) => [a, name] as [string, string])))
    return aliases.get(alias)
  }
  const resolve = (want: string): string | 'builtin' | undefined => {
    const name = moduleName(want)
    if (tree.paths.has(name)) return name
    if (tree.builtin.has(name) || tree.builtin.has(want)) return 'builtin'
    return byAlias(want)
  }
  const order: string[] = []
  const visiting = new Set<string>()
  const visit = (want: string, hard: boolean, from: string): void => {
    const name = resolve(want)
    if (name === 'builtin') return
    if (name === undefined) {
      if (hard) throw new Error(`kernel module ${want} (${from}): expected it in ${tree.dir}, found neither a module nor an alias nor a built-in`)
      return
    }
    if (order.includes(name) || visiting.has(name)) return
    visiting.add(name)
    let mod = infos.get(name)
    if (!mod) infos.set(name, (mod = info(tree.paths.get(name)!)))
    for (const dep of mod.depends) visit(dep, true, `needed by ${name}`)
    for (const dep of mod.softdeps) visit(dep, false, `wished by ${name}`)
    visiting.delete(name)
    order.push(name)
  }
  for (const want of wanted) visit(want, true, 'asked for')
  return order.map((name) => tree.paths.get(name)!)
}
