import test from 'ava'
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { absent } from '../../src/sdk/primitives/absent.ts'
import { bashIO, fakeIO, HOSTILE, tempDir } from './primitive-harness.ts'

// Data table: probe output → commands and outcome; then real runs in a temp folder.

const absentCases: Array<{ title: string; probe: string; runs: string[] }> = [
  { title: 'present → rm -rf', probe: 'present\n', runs: ['rm -rf -- /srv/old'] },
  { title: 'already absent', probe: 'absent\n', runs: [] },
]

for (const c of absentCases) {
  test(`absent: ${c.title}`, async (t) => {
    const io = fakeIO([c.probe])
    const outcome = await absent(io, '/srv/old')
    t.deepEqual(outcome, c.runs.length ? { changed: true, message: 'removed /srv/old' } : { changed: false })
    t.deepEqual(io.runs(), c.runs)
    t.is(io.calls[0].command, 'if [ -e /srv/old ] || [ -L /srv/old ]; then echo present; else echo absent; fi')
    const check = fakeIO([c.probe], { check: true })
    t.is((await absent(check, '/srv/old')).changed, c.runs.length > 0)
    t.deepEqual(check.runs(), [])
  })
}

for (const path of ['/', '//', '/srv/..', 'srv/old', '']) {
  test(`absent refuses ${JSON.stringify(path)}`, async (t) => {
    const io = fakeIO([])
    await t.throwsAsync(absent(io, path), { name: 'StepError' })
    t.deepEqual(io.calls, [])
  })
}

test('absent, for real: a file, a link (not its target), a tree; then nothing', async (t) => {
  const { dir: root, cleanup } = tempDir()
  t.teardown(cleanup)
  writeFileSync(join(root, 'file'), '')
  writeFileSync(join(root, 'target'), 'keep')
  symlinkSync('target', join(root, 'link'))
  symlinkSync('nowhere', join(root, 'dangling'))
  mkdirSync(join(root, 'tree', 'deep'), { recursive: true })
  writeFileSync(join(root, 'tree', 'deep', 'x'), '')
  for (const name of ['file', 'link', 'dangling', 'tree']) {
    t.true((await absent(bashIO(root), join(root, name))).changed, name)
    t.false(existsSync(join(root, name)), name)
    t.false((await absent(bashIO(root), join(root, name))).changed, name)
  }
  t.is(readFileSync(join(root, 'target'), 'utf8'), 'keep')
})

test('absent, for real: check mode removes nothing; hostile names are literal', async (t) => {
  const { dir: root, cleanup } = tempDir()
  t.teardown(cleanup)
  writeFileSync(join(root, 'keep'), '')
  t.true((await absent(bashIO(root, { check: true }), join(root, 'keep'))).changed)
  t.true(existsSync(join(root, 'keep')))
  writeFileSync(join(root, '*'), '')
  t.true((await absent(bashIO(root), join(root, '*'))).changed)
  t.true(existsSync(join(root, 'keep')), 'a * path removes only the file named *')
  for (const name of HOSTILE.filter((n) => n !== '*')) {
    writeFileSync(join(root, name), '')
    t.true((await absent(bashIO(root), join(root, name))).changed, name)
    t.false(existsSync(join(root, name)), name)
  }
  t.true(existsSync(join(root, 'keep')))
  t.false(existsSync(join(root, 'pwned')))
})
