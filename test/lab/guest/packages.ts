import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

// The Debian packages the stand-in guest is made of; linux-image-amd64 stands for the kernel it depends on.
export const GUEST_PACKAGES = ['linux-image-amd64', 'busybox-static', 'syslinux', 'syslinux-common', 'mtools'] as const
export type GuestPackage = (typeof GUEST_PACKAGES)[number] | 'kernel'

// One .deb file of a folder (a download cache or a mirror's pool).
export interface Deb {
  package: string
  version: string
  file: string
}

// Debian names its files <package>_<version>_<arch>.deb (the epoch's ':' as %3a); a folder may hold several versions.
export function readPool(dir: string): Map<string, Deb[]> {
  if (!existsSync(dir)) throw new Error(`expected a folder of .deb files at ${dir} (tsx test/lab/guest/cli.ts --download fetches them)`)
  const pool = new Map<string, Deb[]>()
  const walk = (at: string): void => {
    for (const e of readdirSync(at, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(at, e.name))
      const m = /^([a-z0-9][a-z0-9+.-]*)_([^_]+)_[a-z0-9]+\.deb$/.exec(e.name)
      if (!e.isFile() || !m) continue
      const deb = { package: m[1]!, version: decodeURIComponent(m[2]!), file: join(at, e.name) }
      pool.set(deb.package, [...(pool.get(deb.package) ?? []), deb])
    }
  }
  walk(dir)
  return pool
}

const newer = (a: string, b: string): boolean => spawnSync('dpkg', ['--compare-versions', a, 'gt', b]).status === 0

// The newest version of `name` in the pool.
export function pick(pool: Map<string, Deb[]>, name: string, dir: string): Deb {
  const debs = pool.get(name)
  if (!debs?.length) throw new Error(`${name}: expected a ${name}_<version>_<arch>.deb in ${dir}`)
  return debs.reduce((best, d) => (newer(d.version, best.version) ? d : best))
}

// The package a metapackage such as linux-image-amd64 stands for: the first name of its Depends.
export function dependsOn(deb: Deb): string {
  const depends = execFileSync('dpkg-deb', ['-f', deb.file, 'Depends'], { encoding: 'utf8' })
  const first = /^\s*([a-z0-9][a-z0-9+.-]*)/.exec(depends)
  if (!first) throw new Error(`${deb.file}: expected a Depends field naming the kernel package, got ${JSON.stringify(depends)}`)
  return first[1]!
}

// The guest's .deb files, found in `dir`: each package's newest version, and the kernel behind linux-image-amd64.
export function guestDebs(dir: string): Record<GuestPackage, Deb> {
  const pool = readPool(dir)
  const debs = Object.fromEntries(GUEST_PACKAGES.map((name) => [name, pick(pool, name, dir)])) as Record<GuestPackage, Deb>
  debs.kernel = pick(pool, dependsOn(debs['linux-image-amd64']), dir)
  return debs
}

// apt-get download of what `dir` lacks (set-up only: a test's assertions never download).
export function downloadGuestDebs(dir: string): void {
  mkdirSync(dir, { recursive: true })
  const fetch = (names: string[]): void => {
    if (names.length === 0) return
    const got = spawnSync('apt-get', ['download', '-q', ...names], { cwd: dir, encoding: 'utf8' })
    if (got.status !== 0) throw new Error(`apt-get download ${names.join(' ')} failed: ${got.stderr.trim()}`)
  }
  fetch(GUEST_PACKAGES.filter((name) => !readPool(dir).has(name)))
  const kernel = dependsOn(pick(readPool(dir), 'linux-image-amd64', dir))
  fetch(readPool(dir).has(kernel) ? [] : [kernel])
}

// Unpacks a .deb's files (not its scripts) under `into`; nothing is installed on the machine.
export function unpack(deb: Deb, into: string): void {
  mkdirSync(into, { recursive: true })
  execFileSync('dpkg-deb', ['-x', deb.file, into])
}
