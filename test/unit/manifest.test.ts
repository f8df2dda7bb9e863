import test from 'ava'
import { imageFile, readImageManifest } from '../../src/sdk/manifest.ts'
import udpcast from '../../roles/udpcast/index.ts'
import { readSettings as udpcastSettings } from '../../roles/udpcast/settings.ts'
import vmImage from '../../roles/vm-image/index.ts'
import { readSettings as vmImageSettings } from '../../roles/vm-image/settings.ts'
import { imagePath } from '../../roles/vm-image/verify.ts'

// The manifest and images_dir are read once, in the SDK: udpcast and vm-image accept and refuse the same values.

const SHA = 'ab'.repeat(32)
const MANIFEST = { name: 'win11-lab', version: '2026.11', size: 8589934592, sha256: SHA, source: '/srv/labplay/source/win11.qcow2' }

test('a manifest and images_dir as group_vars give them', (t) => {
  t.deepEqual(readImageManifest({ image: MANIFEST, images_dir: '/srv/labplay/images' }), {
    image: { manifest: MANIFEST, imagesDir: '/srv/labplay/images' },
    problems: [],
  })
})

test('-e k=v strings and YAML numbers are read; sha256 in capitals is normalised; a trailing slash is dropped', (t) => {
  const { image } = readImageManifest({ image: { ...MANIFEST, version: 2027, size: '42', sha256: SHA.toUpperCase() }, images_dir: '/data/' })
  t.deepEqual(image, { manifest: { ...MANIFEST, version: '2027', size: 42 }, imagesDir: '/data' })
  t.is(imageFile(image!), '/data/win11-lab-2027.qcow2')
  t.is(imageFile(image!, '2026.11'), '/data/win11-lab-2026.11.qcow2')
})

const refused: Array<[string, Record<string, unknown>, string]> = [
  ['the defaults (no manifest)', { image: { name: '', version: '', size: 0, sha256: '', source: '' } }, 'image: no image manifest is set: give image.name, image.version, image.size and image.sha256 in group_vars'],
  ['a manifest that is a string', { image: 'win11' }, 'image: expected the image manifest (name, version, size, sha256, source), got "win11"'],
  ['a name with a slash', { image: { ...MANIFEST, name: '../etc' } }, `image.name: expected letters, digits, '.', '_' or '-' only (it names a file), got "../etc"`],
  ['a name that is ..', { image: { ...MANIFEST, name: '..' } }, `image.name: expected letters, digits, '.', '_' or '-' only (it names a file), got ".."`],
  ['a version with a space', { image: { ...MANIFEST, version: '2026 11' } }, `image.version: expected letters, digits, '.', '_' or '-' only (it names a file), got "2026 11"`],
  ['a version that is a list', { image: { ...MANIFEST, version: [1] } }, 'image.version: expected a string, got [1]'],
  ['a size of 0', { image: { ...MANIFEST, size: 0 } }, "image.size: expected the image's size in bytes (> 0), got 0"],
  ['a size with a unit', { image: { ...MANIFEST, size: '8G' } }, `image.size: expected the image's size in bytes (> 0), got "8G"`],
  ['a short sha256', { image: { ...MANIFEST, sha256: 'abc' } }, 'image.sha256: expected 64 hex digits, got "abc"'],
  ['a relative source', { image: { ...MANIFEST, source: 'img.qcow2' } }, 'image.source: expected an absolute path on the sender, got "img.qcow2"'],
  ['no images_dir', { images_dir: undefined }, `images_dir: expected an absolute path of letters, digits, '.', '_', '-' and '/', got nothing`],
]
for (const [title, over, problem] of refused) {
  test(`refused: ${title}`, (t) => {
    t.deepEqual(readImageManifest({ image: MANIFEST, images_dir: '/srv/labplay/images', ...over }), { problems: [problem] })
  })
}

test('every problem at once', (t) => {
  t.is(readImageManifest({ image: { ...MANIFEST, name: '', sha256: 'x' }, images_dir: 'images' }).problems.length, 3)
})

// udpcast multicasts to images_dir and vm-image installs from it: a path one of them refuses must be refused
// by both before any byte travels, and a path both accept must name the same file.
const folders: Array<[string, string | undefined]> = [
  ['/srv/labplay/images', '/srv/labplay/images/win11-lab-2026.11.qcow2'],
  ['/data/', '/data/win11-lab-2026.11.qcow2'],
  ['/data//', '/data/win11-lab-2026.11.qcow2'],
  ['/srv/lab_play-2.0/images', '/srv/lab_play-2.0/images/win11-lab-2026.11.qcow2'],
  ["/srv/it's here", undefined],
  ['/srv/a,b', undefined],
  ['/srv/a b', undefined],
  ['/srv/$(reboot)', undefined],
  ['/srv//images', undefined],
  ['/srv/./images', undefined],
  ['/srv/../etc', undefined],
  ['/', undefined],
  ['//', undefined],
  ['images', undefined],
  ['', undefined],
  ['/srv/images\n', undefined],
]
for (const [imagesDir, file] of folders) {
  test(`udpcast and vm-image agree on images_dir ${JSON.stringify(imagesDir)}`, (t) => {
    let udp: string | undefined
    try {
      udp = udpcastSettings({ ...udpcast.defaults, image: MANIFEST, images_dir: imagesDir }).final
    } catch (error) {
      t.regex((error as Error).message, /^images_dir: expected an absolute path/)
    }
    const vm = vmImageSettings({ ...vmImage.defaults, image: MANIFEST, images_dir: imagesDir })
    t.is(udp, file, 'udpcast')
    t.is(vm.settings && imagePath(vm.settings), file, 'vm-image')
  })
}
