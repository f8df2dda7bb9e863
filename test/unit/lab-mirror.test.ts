import test from 'ava'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadRole } from '../../src/engine/roles.ts'
import { LAB_PACKAGES } from '../lab/lab-packages.ts'
import { debFiles, mirrorPackages, mirrorSources } from '../lab/mirror.ts'
import vmImage from '../../roles/vm-image/index.ts'

// The mirror's package set comes from the roles' declarations and the lab's own list, never by hand.
test("the mirror carries every role's declared packages and the lab's own, once each, sorted", async (t) => {
  const sources = await mirrorSources()
  t.deepEqual(sources.roles['samba-loopback'], ['samba-common-bin', 'tdb-tools', 'samba'])
  t.deepEqual(sources.roles['gdm-session'], ['desktop-file-utils', 'matchbox-window-manager'])
  t.deepEqual(sources.roles['vm-image'], vmImage.defaults.vm_packages, "vm-image declares its vm_packages default")
  t.false('lab-notice' in sources.roles, 'a role that installs nothing declares nothing')
  const all = mirrorPackages(sources)
  t.deepEqual(all, [...new Set(all)].sort())
  for (const p of [...Object.values(sources.roles).flat(), ...Object.values(LAB_PACKAGES).flat()]) t.true(all.includes(p), p)
  for (const p of all) t.regex(p, /^[a-z0-9][a-z0-9+.-]*$/)
})

test("apt's simulation gives the pool's file names (epoch as %3a, upgrades too, architecture all)", (t) => {
  const simulation = [
    'NOTE: This is only a simulation!',
    'Inst libtalloc2 (2.4.0-f2 Debian:12.11/stable [amd64])',
    'Inst samba (2:4.17.12+dfsg-0+deb12u1 Debian:12.11/stable, Debian-Security:12/stable-security [amd64])',
    'Inst libc6 [2.36-9+deb12u10] (2.36-9+deb12u13 Debian:12.11/stable [amd64])',
    'Inst samba-common (2:4.17.12+dfsg-0+deb12u1 Debian:12.11/stable [all])',
    'Conf samba (2:4.17.12+dfsg-0+deb12u1 Debian:12.11/stable [amd64])',
  ].join('\n')
  t.deepEqual(debFiles(simulation), [
    'libc6_2.36-9+deb12u13_amd64.deb',
    'libtalloc2_2.4.0-f2_amd64.deb',
    'samba-common_2%3a4.17.12+dfsg-0+deb12u1_all.deb',
    'samba_2%3a4.17.12+dfsg-0+deb12u1_amd64.deb',
  ])
})

test('a role declaring packages as anything but a list of names does not load', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'labplay-role-'))
  try {
    mkdirSync(join(dir, 'bad'))
    writeFileSync(join(dir, 'bad', 'index.ts'), "export default { name: 'bad', defaults: {}, tasks: [], packages: 'samba' }\n")
    const err = await t.throwsAsync(loadRole('bad', join(dir, 'bad', 'index.ts')))
    t.is(err?.message, "role 'bad': expected packages: [...] naming Debian packages")
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
