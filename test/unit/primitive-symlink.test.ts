import test from 'ava'
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { symlink, type SymlinkOptions } from '../../src/sdk/primitives/symlink.ts'
import { bashIO, fakeIO, HOSTILE, tempDir } from './primitive-harness.ts'

// Data table: probe output → commands and outcome; then real runs in a temp folder.

const REPLACE = [
  'p=/srv/current',
  'tmp=$(mktemp -u -- /srv/.labplay.XXXXXX) || exit 1',
  'ln -s -- releases/2 "$tmp" || exit 1',
  'mv -Tf -- "$tmp" "$p" || { rm -f -- "$tmp"; exit 1; }',
].join('\n')

const symlinkCases: Array<{ title: string; probe: string; opts?: SymlinkOptions; runs: string[]; error?: RegExp }> = [
  { title: 'missing → created', probe: 'absent\n', runs: [REPLACE] },
  { title: 'pointing where asked', probe: 'link\nreleases/2\n', runs: [] },
  { title: 'pointing elsewhere → swapped atomically', probe: 'link\nreleases/1\n', runs: [REPLACE] },
  { title: 'a file in the way without force', probe: 'other\n', runs: [], error: /exists and is not a symlink/ },
  { title: 'a file in the way with force', probe: 'other\n', opts: { force: true }, runs: [REPLACE] },
  {
    title: 'a directory in the way with force',
    probe: 'directory\n',
    opts: { force: true },
    runs: [REPLACE.replace('mv -Tf', 'rm -rf -- "$p" || { rm -f -- "$tmp"; exit 1; }\nmv -Tf')],
  },
]

for (const c of symlinkCases) {
  test(`symlink: ${c.title}`, async (t) => {
    const io = fakeIO([c.probe])
    const outcome = symlink(io, '/srv/current', 'releases/2', c.opts)
    if (c.error) {
      await t.throwsAsync(outcome, { name: 'StepError', message: c.error })
    } else {
      t.deepEqual(await outcome, c.runs.length ? { changed: true, message: 'linked /srv/current -> releases/2' } : { changed: false })
    }
    t.deepEqual(io.runs(), c.runs)
    if (c.error || c.runs.length === 0) return
    const check = fakeIO([c.probe], { check: true })
    t.deepEqual(await symlink(check, '/srv/current', 'releases/2', c.opts), { changed: true, message: 'would link /srv/current -> releases/2' })
    t.deepEqual(check.runs(), [])
  })
}

test('symlink: an empty target is refused before any probe', async (t) => {
  const io = fakeIO([])
  await t.throwsAsync(symlink(io, '/srv/current', ''), { name: 'StepError' })
  t.deepEqual(io.calls, [])
})

test('symlink, for real: create, converge, retarget, force over a file and a directory', async (t) => {
  const { dir: root, cleanup } = tempDir()
  t.teardown(cleanup)
  const link = join(root, 'current')
  t.true((await symlink(bashIO(root), link, 'releases/1')).changed)
  t.is(readlinkSync(link), 'releases/1')
  t.false((await symlink(bashIO(root), link, 'releases/1')).changed)
  t.true((await symlink(bashIO(root), link, 'releases/2')).changed)
  t.is(readlinkSync(link), 'releases/2')

  writeFileSync(join(root, 'plain'), 'x')
  await t.throwsAsync(symlink(bashIO(root), join(root, 'plain'), 'target'), { message: /force/ })
  t.is(readFileSync(join(root, 'plain'), 'utf8'), 'x')
  t.true((await symlink(bashIO(root), join(root, 'plain'), 'target', { force: true })).changed)
  t.is(readlinkSync(join(root, 'plain')), 'target')

  mkdirSync(join(root, 'folder', 'inside'), { recursive: true })
  t.true((await symlink(bashIO(root), join(root, 'folder'), 'target', { force: true })).changed)
  t.true(lstatSync(join(root, 'folder')).isSymbolicLink())
  t.deepEqual(leftovers(root), [])
})

test('symlink, for real: a link to a directory is replaced, not followed', async (t) => {
  const { dir: root, cleanup } = tempDir()
  t.teardown(cleanup)
  mkdirSync(join(root, 'old'))
  symlinkSync('old', join(root, 'current'))
  t.true((await symlink(bashIO(root), join(root, 'current'), 'new')).changed)
  t.is(readlinkSync(join(root, 'current')), 'new')
  t.deepEqual(leftovers(join(root, 'old')), [])
})

test('symlink, for real: check mode links nothing; hostile names and targets are literal', async (t) => {
  const { dir: root, cleanup } = tempDir()
  t.teardown(cleanup)
  t.true((await symlink(bashIO(root, { check: true }), join(root, 'l'), 't')).changed)
  t.false(existsSync(join(root, 'l')))
  for (const value of HOSTILE) {
    const link = join(root, value.replaceAll('/', '_'))
    t.true((await symlink(bashIO(root), link, value)).changed, value)
    t.is(readlinkSync(link), value)
    t.false((await symlink(bashIO(root), link, value)).changed, value)
  }
  t.false(existsSync(join(root, 'pwned')))
})

function leftovers(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.startsWith('.labplay.'))
}
