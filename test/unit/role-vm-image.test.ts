import test from 'ava'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import role from '../../roles/vm-image/index.ts'
import { guestCpus, guestMemoryMb, launcherConfig, readSettings, tmpfilesConfig, type Settings } from '../../roles/vm-image/settings.ts'
import { stampPaths } from '../../roles/vm-image/verify.ts'
import { expired, holdingPids, parseRegistry, recordCurrent } from '../../roles/vm-image/versions.ts'

// The pure parts of vm-image: variables → settings, sizing, the launcher's config, which versions go.

const SHA = 'ab'.repeat(32)
const manifest = { name: 'win11-lab', version: '2026.11', size: 8589934592, sha256: SHA, source: '/srv/labplay/source/x.qcow2' }
const vars = (over: Record<string, unknown> = {}) => ({ ...role.defaults, image: manifest, ...over })

test('the defaults with a manifest give settings', (t) => {
  const { settings, problems } = readSettings(vars())
  t.deepEqual(problems, [])
  t.like(settings, { image: { name: 'win11-lab', version: '2026.11', size: 8589934592, sha256: SHA }, imagesDir: '/srv/labplay/images', keep: 2, overlayDir: '/var/tmp/labvm' })
})

test('the defaults alone say that the manifest is missing', (t) => {
  t.deepEqual(readSettings({ ...role.defaults }).problems, ['image: no image manifest is set: give image.name, image.version, image.size and image.sha256 in group_vars'])
})

test('numbers given as strings (-e k=v) are read as numbers; sha256 in capitals is normalised', (t) => {
  const { settings } = readSettings(vars({ image: { ...manifest, size: '42', sha256: SHA.toUpperCase() }, images_keep: '3', vm_memory_mb: '2048' }))
  t.like(settings, { image: { size: 42, sha256: SHA }, keep: 3, memoryMb: 2048 })
})

const bad: Array<[string, Record<string, unknown>, RegExp]> = [
  ['a name that is not a file name', { image: { ...manifest, name: '../etc/passwd' } }, /^image\.name: expected letters, digits/],
  ['a version with a space', { image: { ...manifest, version: '2026 11' } }, /^image\.version: expected letters/],
  ['a short sha256', { image: { ...manifest, sha256: 'abc' } }, /^image\.sha256: expected 64 hex digits, got "abc"$/],
  ['a zero size', { image: { ...manifest, size: 0 } }, /^image\.size: expected the image's size in bytes \(> 0\), got 0$/],
  ['a manifest that is a string', { image: 'win11' }, /^image: expected the image manifest/],
  ['a relative images_dir', { images_dir: 'images' }, /^images_dir: expected an absolute path/],
  ['an overlay_dir with a comma', { overlay_dir: '/var/tmp/a,b' }, /^overlay_dir: expected an absolute path/],
  ['images_keep 0', { images_keep: 0 }, /^images_keep: expected a whole number of at least 1, got 0$/],
  ['negative vm_cpus', { vm_cpus: -1 }, /^vm_cpus: expected a whole number \(0: sized from the host\)/],
  ['a display with a space', { vm_display: 'gtk full' }, /^vm_display: expected a QEMU -display value/],
  ['an smb address with an option', { vm_smb_address: '10.0.2.100,hostfwd=tcp::1-:2' }, /^vm_smb_address: expected an IPv4 address/],
  ['a package name with an option', { vm_packages: ['-o=x'] }, /^vm_packages: expected a list of Debian package names/],
]

for (const [title, over, message] of bad) {
  test(`refused: ${title}`, (t) => {
    const { settings, problems } = readSettings(vars(over))
    t.is(settings, undefined)
    t.is(problems.length, 1, problems.join('\n'))
    t.regex(problems[0]!, message)
  })
}

test('every problem is named at once', (t) => {
  t.is(readSettings(vars({ image: { ...manifest, name: '', sha256: 'x' }, images_keep: 'two' })).problems.length, 3)
})

test('guest memory: half the host, at most 8 GiB, at least 1 GiB, unless set', (t) => {
  t.deepEqual([1500, 4096, 16000, 64000].map((mb) => guestMemoryMb(0, mb)), [1024, 2048, 8000, 8192])
  t.is(guestMemoryMb(3000, 64000), 3000)
})

test('guest CPUs: all but one of the host, at least one, unless set', (t) => {
  t.deepEqual([1, 2, 8].map((n) => guestCpus(0, n)), [1, 1, 7])
  t.is(guestCpus(4, 2), 4)
})

function settings(over: Record<string, unknown> = {}): Settings {
  return readSettings(vars(over)).settings!
}

test('the launcher config is KEY=value lines that bash reads back literally', (t) => {
  const s = settings({ vm_display: 'gtk,full-screen=on' })
  const text = launcherConfig(s, 4096, 3)
  t.is(text, [
    "# Written by labplay's vm-image role; read by /usr/local/bin/labvm.",
    'IMAGE=/srv/labplay/images/win11-lab.qcow2',
    'OVERLAY_DIR=/var/tmp/labvm',
    'MEMORY_MB=4096',
    'CPUS=3',
    'SMB_ADDRESS=10.0.2.100',
    "DISPLAY_MODE=$'gtk,full-screen=on'",
    '',
  ].join('\n'))
  const dir = mkdtempSync(join(tmpdir(), 'vm-image-'))
  try {
    writeFileSync(join(dir, 'labvm.conf'), text)
    const read = execFileSync('bash', ['-c', '. "$1"; printf "%s|" "$IMAGE" "$DISPLAY_MODE" "$CPUS"', 'bash', join(dir, 'labvm.conf')]).toString()
    t.is(read, '/srv/labplay/images/win11-lab.qcow2|gtk,full-screen=on|3|')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('tmpfiles: the overlay folder is created sticky and emptied at boot', (t) => {
  t.is(tmpfilesConfig(settings()).split('\n')[1], 'D /var/tmp/labvm 1777 root root -')
})

test('the stamps beside an image are the sha256 cache and the qemu-img check cache', (t) => {
  t.deepEqual(stampPaths('/srv/i/w-1.qcow2'), ['/srv/i/.w-1.qcow2.sha256', '/srv/i/.w-1.qcow2.checked'])
})

test('the registry: making a version current makes it the most recent, once', (t) => {
  t.deepEqual(recordCurrent([], '1'), ['1'])
  t.deepEqual(recordCurrent(['1', '2'], '2'), ['1', '2'])
  t.deepEqual(recordCurrent(['1', '2', '3'], '1'), ['2', '3', '1'], 'a rollback')
  t.deepEqual(parseRegistry('1\n\n../x\n2\n1\n a b\n'), ['1', '2'], 'lines that cannot name a file are dropped')
})

test('expired: past images_keep, oldest first, never the current one', (t) => {
  t.deepEqual(expired(['1', '2', '3'], '3', 2), ['1'])
  t.deepEqual(expired(['1', '2', '3'], '3', 1), ['1', '2'])
  t.deepEqual(expired(['1', '2', '3'], '3', 5), [])
  t.deepEqual(expired(['1', '2', '3'], '1', 1), ['2', '3'], 'after a rollback recorded elsewhere')
  t.deepEqual(expired(['3'], '3', 1), [])
})

test('holders: only processes whose fd points at exactly that file', (t) => {
  const listing = [
    '/proc/12/fd\t/srv/i/w-1.qcow2',
    '/proc/12/fd\t/srv/i/w-1.qcow2',
    '/proc/13/fd\t/srv/i/w-1.qcow2.bak',
    '/proc/14/fd\t/srv/i/w-1.qcow2 (deleted)',
    '/proc/15/fd\t/srv/i/w-2.qcow2',
    'garbage',
    '/proc/16/fd\t/srv/i/w-1.qcow2',
  ].join('\n')
  t.deepEqual(holdingPids(listing, '/srv/i/w-1.qcow2'), [12, 16])
})
