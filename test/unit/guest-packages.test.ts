import test from 'ava'
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { guestDebs, readPool } from '../lab/guest/packages.ts'

// A real (empty) .deb, as a mirror's pool or apt-get download names it.
function deb(dir: string, pkg: string, version: string, depends?: string): void {
  const root = mkdtempSync(join(tmpdir(), 'labplay-deb-'))
  mkdirSync(join(root, 'DEBIAN'))
  writeFileSync(join(root, 'DEBIAN/control'), [`Package: ${pkg}`, `Version: ${version}`, 'Architecture: amd64', 'Maintainer: t <t@example.invalid>', 'Description: t', ...(depends ? [`Depends: ${depends}`] : []), ''].join('\n'))
  mkdirSync(dir, { recursive: true })
  execFileSync('dpkg-deb', ['--build', '-Zgzip', root, join(dir, `${pkg}_${version.replace(':', '%3a')}_amd64.deb`)], { stdio: 'ignore' })
  rmSync(root, { recursive: true, force: true })
}

test('the guest packages are found in a pool: the newest version of each, and the kernel behind linux-image-amd64', (t) => {
  const pool = mkdtempSync(join(tmpdir(), 'labplay-pool-'))
  t.teardown(() => rmSync(pool, { recursive: true, force: true }))
  deb(join(pool, 'main/l/linux-signed-amd64'), 'linux-image-amd64', '6.1.99-1', 'linux-image-6.1.0-9-amd64 (= 6.1.99-1)')
  deb(join(pool, 'main/l/linux'), 'linux-image-6.1.0-9-amd64', '6.1.99-1')
  deb(join(pool, 'main/l/linux'), 'linux-image-6.1.0-8-amd64', '6.1.98-1')
  deb(pool, 'busybox-static', '1:1.35.0-4')
  deb(pool, 'busybox-static', '1:1.35.0-10')
  for (const p of ['syslinux', 'syslinux-common']) deb(pool, p, '3:6.04~git20190206-3')
  deb(pool, 'mtools', '4.0.33-1+really4.0.32-1')
  writeFileSync(join(pool, 'README.deb.txt'), 'not a package')

  t.deepEqual(readPool(pool).get('busybox-static')!.map((d) => d.version).sort(), ['1:1.35.0-10', '1:1.35.0-4'])
  const debs = guestDebs(pool)
  t.is(debs.kernel.package, 'linux-image-6.1.0-9-amd64')
  t.is(debs['busybox-static'].version, '1:1.35.0-10', 'dpkg orders versions, not the alphabet')
  t.is(debs.syslinux.file, join(pool, 'syslinux_3%3a6.04~git20190206-3_amd64.deb'))

  rmSync(join(pool, 'mtools_4.0.33-1+really4.0.32-1_amd64.deb'))
  t.throws(() => guestDebs(pool), { message: `mtools: expected a mtools_<version>_<arch>.deb in ${pool}` })
  t.throws(() => guestDebs(join(pool, 'nowhere')), { message: /expected a folder of \.deb files at .*nowhere/ })
})
