import test from 'ava'
import { chmodSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { directory, type DirectoryOptions } from '../../src/sdk/primitives/directory.ts'
import { bashIO, fakeIO, HOSTILE, tempDir } from './primitive-harness.ts'

// Data table: probe output → commands and outcome; then real runs in a temp folder.

const dir = (mode = '755', owner = '0\troot\t0\troot'): string => `directory\t${mode}\t${owner}\t4096\n`

const directoryCases: Array<{ title: string; opts: DirectoryOptions; probe: string; message?: string; runs: string[] }> = [
  { title: 'missing → mkdir -p', opts: {}, probe: 'absent\n', message: 'created /srv/data', runs: ['mkdir -p -- /srv/data'] },
  {
    title: 'missing, with metadata',
    opts: { mode: '2775', owner: 'www-data', group: 'www-data' },
    probe: 'absent\n',
    message: 'created /srv/data (mode 2775, owner www-data, group www-data)',
    runs: ['mkdir -p -- /srv/data && chown -- www-data:www-data /srv/data && chmod 02775 -- /srv/data'],
  },
  { title: 'present as asked', opts: { mode: '0755', owner: '0', group: 'root' }, probe: dir(), runs: [] },
  { title: 'mode differs (setgid cleared with five digits)', opts: { mode: '0755' }, probe: dir('2755'), message: 'set mode 0755 on /srv/data', runs: ['chmod 00755 -- /srv/data'] },
  { title: 'owner differs', opts: { owner: 'student' }, probe: dir(), runs: ['chown -- student /srv/data'] },
]

for (const c of directoryCases) {
  test(`directory: ${c.title}`, async (t) => {
    const io = fakeIO([c.probe])
    const outcome = await directory(io, '/srv/data/', c.opts)
    t.is(outcome.changed, c.runs.length > 0)
    if (c.message) t.is(outcome.message, c.message)
    t.deepEqual(io.runs(), c.runs)
    t.regex(io.calls[0].command, /stat -L /)

    const check = fakeIO([c.probe], { check: true })
    const checked = await directory(check, '/srv/data', c.opts)
    t.is(checked.changed, c.runs.length > 0)
    if (checked.changed) t.regex(checked.message ?? '', /^would /)
    t.deepEqual(check.runs(), [])
  })
}

test('directory: a file in the way is an error', async (t) => {
  const io = fakeIO(['regular file\t644\t0\troot\t0\troot\t3\n'])
  await t.throwsAsync(directory(io, '/srv/data', {}), { name: 'StepError', message: '/srv/data exists and is not a directory' })
  t.deepEqual(io.runs(), [])
})

test('directory, for real: nested create, converge, setgid cleared, hostile names', async (t) => {
  const { dir: root, cleanup } = tempDir()
  t.teardown(cleanup)
  const path = join(root, 'a', 'b c', '$(touch pwned)')
  t.true((await directory(bashIO(root), path, { mode: '0750' })).changed)
  t.true(statSync(path).isDirectory())
  t.is(statSync(path).mode & 0o7777, 0o750)
  t.false((await directory(bashIO(root), path, { mode: '750' })).changed)

  chmodSync(path, 0o2755)
  t.true((await directory(bashIO(root), path, { mode: '0755' })).changed)
  t.is(statSync(path).mode & 0o7777, 0o755)
  t.false((await directory(bashIO(root), path, { mode: '0755' })).changed)

  for (const name of HOSTILE) t.true((await directory(bashIO(root), join(root, 'h', name.replaceAll('/', '_')))).changed, name)
  t.deepEqual(readdirSync(join(root, 'h')).sort(), HOSTILE.map((n) => n.replaceAll('/', '_')).sort())
  t.false(existsSync(join(root, 'pwned')))
})

test('directory, for real: check mode creates nothing; a file in the way fails', async (t) => {
  const { dir: root, cleanup } = tempDir()
  t.teardown(cleanup)
  t.deepEqual(await directory(bashIO(root, { check: true }), join(root, 'x')), { changed: true, message: `would create ${join(root, 'x')}` })
  t.false(existsSync(join(root, 'x')))
  writeFileSync(join(root, 'f'), '')
  await t.throwsAsync(directory(bashIO(root), join(root, 'f')), { message: /not a directory/ })
  mkdirSync(join(root, 'real'))
  t.false((await directory(bashIO(root), join(root, 'real'))).changed)
})
