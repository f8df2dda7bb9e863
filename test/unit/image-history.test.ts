import test from 'ava'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { appendHistory, historyPath, parseHistory, readHistory, versions, type HistoryEntry } from '../../src/image/history.ts'

// The history of a group's manifests: append-only YAML that reads back entry for entry, damaged entries named by line.

const SHA = (c: string) => c.repeat(64)
const entry = (version: string, at: string, action: HistoryEntry['action'] = 'publish', sha = SHA('a')): HistoryEntry => ({
  at, by: 'alice', action, image: { name: 'win11-lab', version, size: 42, sha256: sha, source: `/srv/src/win11-lab-${version}.qcow2` },
})

function temp(t: { teardown: (f: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'labplay-history-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

test('beside group_vars/<group>, hidden: no group is named after it and neither Ansible nor labplay loads it', (t) => {
  t.is(historyPath('/inv/group_vars', 'm5'), '/inv/group_vars/.m5.image-history.yml')
})

test('appended entries read back in order; the file only grows, and starts with a comment', async (t) => {
  const file = join(temp(t), '.all.image-history.yml')
  t.deepEqual(await readHistory(file), [], 'no file: no history')
  const first = [entry('2026.10', '2026-10-01T08:00:00.000Z', 'found', SHA('0')), entry('2026.11', '2026-11-02T09:00:00.000Z')]
  await appendHistory(file, first, 'all', true)
  const before = readFileSync(file, 'utf8')
  t.true(before.startsWith('# Every image manifest group all had, oldest first'))
  await appendHistory(file, [entry('2026.12', '2026-12-05T10:03:22.000Z', 'rollback')], 'all', false)
  const after = readFileSync(file, 'utf8')
  t.true(after.startsWith(before), 'earlier entries are never rewritten')
  t.deepEqual(await readHistory(file), [...first, entry('2026.12', '2026-12-05T10:03:22.000Z', 'rollback')])
  t.regex(after, /sha256: "0{64}"/, 'a sha256 of digits is quoted, so YAML does not read a number')
  t.regex(after, /at: "2026-12-05T10:03:22.000Z"/, 'times are quoted, so YAML 1.1 does not read a timestamp')
})

test('versions: each image once, the most recently published first', (t) => {
  const h = [entry('1', '2026-01-01T00:00:00Z'), entry('2', '2026-02-01T00:00:00Z'), entry('1', '2026-03-01T00:00:00Z', 'rollback'), entry('3', '2026-04-01T00:00:00Z')]
  t.deepEqual(versions(h).map((e) => [e.image.version, e.action]), [['3', 'publish'], ['1', 'rollback'], ['2', 'publish']])
})

test('an unquoted time written by hand (a YAML timestamp) is read as the same time', (t) => {
  const [e] = parseHistory(`- at: 2026-12-05T10:03:22Z\n  by: bob\n  action: publish\n  image: {name: w, version: "1", size: 1, sha256: "${SHA('b')}", source: /w.qcow2}\n`, 'h.yml')
  t.is(e!.at, '2026-12-05T10:03:22.000Z')
})

const damaged: Array<[string, string, RegExp]> = [
  ['not a list', 'a: 1\n', /^h\.yml:1:1: expected a list of published manifests/],
  ['an entry that is a string', '- hello\n', /^h\.yml:1:3: expected an entry with at, by, action and image/],
  ['an unknown action', `- at: "2026-01-01T00:00:00Z"\n  by: a\n  action: delete\n  image: {name: w, version: "1", size: 1, sha256: "${SHA('b')}", source: /w}\n`, /^h\.yml:1:3: action: expected publish, rollback, found, got "delete"/],
  ['a bad manifest', `- at: "2026-01-01T00:00:00Z"\n  by: a\n  action: publish\n  image: {name: w, version: "1", size: 0, sha256: "${SHA('b')}", source: /w}\n`, /^h\.yml:1:3: image\.size: expected the image's size in bytes/],
  ['no time', `- by: a\n  action: publish\n  image: {}\n`, /^h\.yml:1:3: at: expected a time/],
  ['a torn last entry', `- at: "2026-01-01T00:00:00Z"\n  by: a\n  action: pub`, /^h\.yml:1:3: action: expected publish, rollback, found, got "pub"/],
]
for (const [title, text, message] of damaged) {
  test(`a damaged history is bad input at its line: ${title}`, (t) => {
    const err = t.throws(() => parseHistory(text, 'h.yml'))
    t.regex((err as unknown as { format(): string }).format(), message)
  })
}

test('a history file that is not YAML is refused with its line', async (t) => {
  const file = join(temp(t), 'h.yml')
  writeFileSync(file, '- a: [\n')
  const err = await t.throwsAsync(readHistory(file))
  t.regex((err as unknown as { format(): string }).format(), /h\.yml:\d+:\d+: bad YAML/)
})
