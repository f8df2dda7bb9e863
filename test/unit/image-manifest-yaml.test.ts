import test from 'ava'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { withManifest } from '../../src/image/manifest-yaml.ts'
import { plain, readYaml } from '../../src/inventory/yaml-source.ts'
import type { ImageManifest } from '../../src/sdk/manifest.ts'
import { ROOT } from '../helpers/labplay.ts'

// `image publish` sets `image` in a group_vars file and leaves every other byte as it was: comments, quoting,
// indentation, vault values. What it writes reads back, as labplay reads inventories, as the manifest.

const SHA = 'ab'.repeat(32)
const M: ImageManifest = { name: 'win11-lab', version: '2026.12', size: 21299200, sha256: SHA, source: '/srv/labplay/source/win11-lab-2026.12.qcow2' }
const HEADER = 'The image manifest, written by labplay image publish | rollback;\nevery earlier one is in ../.all.image-history.yml.'
const set = (text: string, m: ImageManifest = M) => withManifest(text, m, 'group_vars/all.yml', HEADER)
const read = async (text: string) => plain(await readYaml(text, 'x.yml')) as Record<string, unknown>

const MANIFEST_LINES = [
  'image:',
  '  name: win11-lab',
  '  version: "2026.12"',
  '  size: 21299200',
  `  sha256: "${SHA}"`,
  '  source: /srv/labplay/source/win11-lab-2026.12.qcow2',
]

test('the example inventory: the manifest changes in place, every other line and comment stays', async (t) => {
  const before = readFileSync(join(ROOT, 'inventory/group_vars/all.yml'), 'utf8')
  const after = await set(before)
  const [a, b] = [before.split('\n'), after.split('\n')]
  const start = a.indexOf('image:')
  t.deepEqual(b.slice(0, start), a.slice(0, start), 'everything above image, comments included')
  t.deepEqual(b.slice(start, start + 6), MANIFEST_LINES)
  t.deepEqual(b.slice(start + 6), a.slice(start + 6), 'everything below')
  t.deepEqual((await read(after)).image, M)
})

test('comments inside the manifest, and keys it does not know, stay', async (t) => {
  const before = `ansible_user: root   # keep me
image:   # the manifest
  name: win11-lab   # the name
  # the version comes next
  version: '2026.11'
  notes: installed by bob
  size: 1
  sha256: "${'00'.repeat(32)}"
  source: /old.qcow2
  # after the manifest

# the printer
printer: lp
`
  const after = await set(before)
  t.is(after, `ansible_user: root   # keep me
image: # the manifest
  name: win11-lab # the name
  # the version comes next
  version: "2026.12"
  notes: installed by bob
  size: 21299200
  sha256: "${SHA}"
  source: /srv/labplay/source/win11-lab-2026.12.qcow2
  # after the manifest

# the printer
printer: lp
`)
  t.deepEqual((await read(after)).image, { ...M, notes: 'installed by bob' })
})

test('a file without image gets it at the end, under a comment; a missing final newline is added first', async (t) => {
  const after = await set('# Room M5\nudpcast_portbase: 9050\nprinter: m5-laser')
  t.is(after, ['# Room M5', 'udpcast_portbase: 9050', 'printer: m5-laser', '', '# The image manifest, written by labplay image publish | rollback;',
    '# every earlier one is in ../.all.image-history.yml.', ...MANIFEST_LINES, ''].join('\n'))
})

test('a new (empty) file is the comment and the manifest', async (t) => {
  const after = await set('')
  t.true(after.startsWith('# The image manifest'))
  t.deepEqual(await read(after), { image: M })
})

test('an empty image, or an alias of another manifest, becomes a mapping of its own; the anchor stays', async (t) => {
  t.is(await set('a: 1\nimage:\nb: 2\n'), ['a: 1', ...MANIFEST_LINES, 'b: 2', ''].join('\n'))
  const aliased = await set(`base: &base\n  name: old\n  version: "1"\nimage: *base\n`)
  t.true(aliased.startsWith('base: &base\n  name: old\n  version: "1"\nimage:\n  name: win11-lab\n'), aliased)
  t.deepEqual(await read(aliased), { base: { name: 'old', version: '1' }, image: M })
})

test('a flow mapping is updated in place, the comment after it stays on its line', async (t) => {
  const after = await set(`image: {name: x, version: "1"}  # flow\nb: 2\n`)
  t.regex(after, /^image: \{ name: win11-lab, version: "2026\.12", size: 21299200, sha256: "a[ab]+", source: \/srv\S+ \}  # flow\nb: 2\n$/)
  t.deepEqual((await read(after)).image, M)
})

test('CRLF line ends stay CRLF', async (t) => {
  const after = await set('# room\r\nprinter: lp\r\nimage:\r\n  name: old\r\n  version: "1"\r\n')
  t.false(/[^\r]\n/.test(after), JSON.stringify(after))
  t.deepEqual((await read(after)).image, M)
})

test('vault values elsewhere in the file are kept to the byte', async (t) => {
  // A well-formed envelope (salt, HMAC, ciphertext in hex, hex again, 80 columns) that nobody can open: never decrypted here.
  const data = Buffer.from(['aa'.repeat(32), 'bb'.repeat(32), 'cc'.repeat(16)].join('\n')).toString('hex').match(/.{1,80}/g)!
  const vault = `samba_ldap_password: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n${data.map((l) => `  ${l}\n`).join('')}`
  const after = await set(`${vault}image:\n  name: old\n`)
  t.true(after.startsWith(vault), after)
})

// Versions and names YAML 1.1 would read as numbers, booleans or dates are quoted: they read back as written.
const tricky: Array<[string, Partial<ImageManifest>]> = [
  ['a version like a number', { version: '2026.10' }],
  ['a version like an integer with leading zeros', { version: '0012' }],
  ['a version like a date', { version: '2026-12-01' }],
  ['a name YAML 1.1 reads as true', { name: 'on' }],
  ['a name like a number', { name: '1e3' }],
  ['a sha256 of digits only', { sha256: '1'.repeat(64) }],
]
for (const [title, change] of tricky) {
  test(`reads back as written: ${title}`, async (t) => {
    const m = { ...M, ...change }
    t.deepEqual((await read(await set('a: 1\n', m))).image, m)
    t.deepEqual((await read(await set('image:\n  name: x\n  version: "1"\n', m))).image, m)
  })
}

const refused: Array<[string, string, RegExp]> = [
  ['an encrypted file', '$ANSIBLE_VAULT;1.1;AES256\n6231336539\n', /^group_vars\/all\.yml: this file is encrypted with ansible-vault/],
  ['image as a template', 'a: 1\nimage: "{{ win_image }}"\n', /^group_vars\/all\.yml:2:1: image: expected the image manifest \(a mapping\), got a string/],
  ['image as a list', 'image:\n  - a\n', /^group_vars\/all\.yml:1:1: image: expected the image manifest \(a mapping\), got a list/],
  ['an anchored manifest other variables use', 'image: &img\n  name: a\nother: *img\n', /^group_vars\/all\.yml:1:1: image has an anchor \(&img\)/],
  ['a file that is a list', '- a\n- b\n', /^group_vars\/all\.yml:1:1: expected a mapping of variable names to values/],
  ['a flow mapping at the top', '{a: 1}\n', /^group_vars\/all\.yml:1:1: expected a mapping/],
  ['bad YAML', 'a: 1\n b: [\n', /^group_vars\/all\.yml:\d+:\d+: bad YAML/],
]
for (const [title, text, message] of refused) {
  test(`refused, naming the place: ${title}`, async (t) => {
    const err = await t.throwsAsync(set(text))
    t.regex((err as unknown as { format(): string }).format(), message)
  })
}
