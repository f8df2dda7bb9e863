import test from 'ava'
import { testWhere } from '../helpers/test-where.ts'
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { unifiedDiff } from '../../src/sdk/primitives/diff.ts'
import { tempDir } from './primitive-harness.ts'

const cases: Array<{ title: string; before: string; after: string; diff: string }> = [
  { title: 'identical', before: 'a\nb\n', after: 'a\nb\n', diff: '' },
  { title: 'one line changed', before: 'a\nb\nc\n', after: 'a\nB\nc\n', diff: '@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n' },
  { title: 'new file', before: '', after: 'x\ny\n', diff: '@@ -0,0 +1,2 @@\n+x\n+y\n' },
  { title: 'emptied file', before: 'x\n', after: '', diff: '@@ -1,1 +0,0 @@\n-x\n' },
  { title: 'newline added at the end', before: 'a', after: 'a\n', diff: '@@ -1,1 +1,1 @@\n-a\n\\ No newline at end of file\n+a\n' },
  {
    title: 'two distant changes make two hunks',
    before: 'a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\n',
    after: 'A\nb\nc\nd\ne\nf\ng\nh\ni\nj\nK\n',
    diff: '@@ -1,4 +1,4 @@\n-a\n+A\n b\n c\n d\n@@ -8,4 +8,4 @@\n h\n i\n j\n-k\n+K\n',
  },
  {
    title: 'close changes share a hunk',
    before: '1\n2\n3\n4\n5\n6\n7\n8\n',
    after: '1\nX\n3\n4\n5\n6\nY\n8\n',
    diff: '@@ -1,8 +1,8 @@\n 1\n-2\n+X\n 3\n 4\n 5\n 6\n-7\n+Y\n 8\n',
  },
]

for (const c of cases) {
  test(`diff: ${c.title}`, (t) => {
    const expected = c.diff === '' ? '' : `--- before/etc/x\n+++ after/etc/x\n${c.diff}`
    t.is(unifiedDiff(c.before, c.after, '/etc/x'), expected)
  })
}

// A small deterministic generator, so a failure can be replayed.
function* texts(seed: number): Generator<[string, string]> {
  let state = seed
  const next = (n: number): number => {
    state = (state * 1103515245 + 12345) % 2 ** 31
    return state % n
  }
  const text = (): string => Array.from({ length: next(25) }, () => `line ${next(6)}\n`).join('') + (next(4) === 0 ? 'tail' : '')
  for (let i = 0; i < 300; i++) yield [text(), text()]
}

const hasTools = spawnSync('patch', ['--version']).status === 0 && spawnSync('diff', ['--version']).status === 0

testWhere(hasTools)('diff: patch(1) turns before into after, with as few changes as diff --minimal', (t) => {
  const { dir, cleanup } = tempDir()
  t.teardown(cleanup)
  const [a, b, p] = ['a', 'b', 'p'].map((name) => join(dir, name))
  for (const [before, after] of texts(42)) {
    const ours = unifiedDiff(before, after, '/x')
    writeFileSync(a, before)
    writeFileSync(b, after)
    writeFileSync(p, ours)
    if (before === after) {
      t.is(ours, '')
      continue
    }
    t.is(spawnSync('patch', ['-s', '-o', join(dir, 'out'), a, p]).status, 0, ours)
    t.is(readFileSync(join(dir, 'out'), 'utf8'), after)
    const gnu = spawnSync('diff', ['--minimal', '-u', a, b], { encoding: 'utf8' }).stdout
    const edits = (diff: string): number => diff.split('\n').filter((l) => /^[-+](?![-+]{2} )/.test(l)).length
    t.is(edits(ours), edits(gnu))
  }
})

test('diff: a huge rewrite stays fast and bounded (falls back to replace-all)', (t) => {
  const before = Array.from({ length: 20000 }, (_, i) => `old ${i}\n`).join('')
  const after = Array.from({ length: 20000 }, (_, i) => `new ${i}\n`).join('')
  const start = performance.now()
  const diff = unifiedDiff(before, after, '/big')
  t.true(performance.now() - start < 2000)
  t.true(diff.startsWith('--- before/big\n+++ after/big\n@@ -1,20000 +1,20000 @@\n-old 0\n'))
})
