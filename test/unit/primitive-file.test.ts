import test from 'ava'
import { createHash } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { file, type FileOptions } from '../../src/sdk/primitives/file.ts'
import { fakeIO, tempDir, type IOOptions } from './primitive-harness.ts'

// Data tables, pyinfra style: given what the probe printed, which commands run and what is reported.

const sha = (text: string): string => createHash('sha256').update(text).digest('hex')
const regular = (text: string, mode = '644', owner = '0\troot\t0\troot'): string =>
  `regular file\t${mode}\t${owner}\t${Buffer.byteLength(text)}\n${sha(text)}  -\n`

// The atomic write of /srv/app.conf as the tests expect it: content from stdin into a temp file beside
// it, then what the case does to that temp file (owner, mode, validate, backup), then the rename.
const atomicWrite = (...onTemp: string[]): string => [
  `p=/srv/app.conf`,
  `tmp=$(mktemp -- /srv/.labplay.XXXXXX) || exit 1`,
  `trap 'rm -f -- "$tmp"' EXIT`,
  `trap 'exit 1' HUP INT TERM PIPE`,
  `cat >"$tmp" <&0 & wait "$!" || exit 1`,
  ...onTemp,
  `mv -f -- "$tmp" "$p" || exit 1`,
].join('\n')

const CREATE = atomicWrite(`printf -v m %o $((0666 & ~$(umask)))`, `chmod "$m" -- "$tmp" || exit 1`)
const KEEP_MODE_640 = `chmod 00640 -- "$tmp" || exit 1`
const UPDATE_KEEPING_METADATA = atomicWrite(`chown -- 0:4 "$tmp" || exit 1`, KEEP_MODE_640)
const VALIDATED_WITH_BACKUP = atomicWrite(
  `chown -- alice "$tmp" || exit 1`,
  `chmod 00600 -- "$tmp" || exit 1`,
  `(\ntestparm -s "$tmp"\n) >&2 || { echo "validate command exited $?" >&2; exit 97; }`,
  `if [ -f "$p" ]; then cp -p -- "$p" "$p.$(date +%Y%m%d-%H%M%S)~" || exit 1; fi`,
)

interface Case {
  title: string
  opts: FileOptions
  probe: string
  io?: IOOptions
  changed: boolean
  message?: string
  runs: string[]
  stdin?: string
}

const cases: Case[] = [
  { title: 'absent → created with umask mode', opts: { content: 'x=1\n' }, probe: 'absent\n', changed: true, message: 'created /srv/app.conf', runs: [CREATE], stdin: 'x=1\n' },
  { title: 'same content → nothing', opts: { content: 'x=1\n' }, probe: regular('x=1\n'), changed: false, runs: [] },
  { title: 'same content and metadata, owner by id or name → nothing', opts: { content: 'x=1\n', mode: '0644', owner: 'root', group: '0' }, probe: regular('x=1\n'), changed: false, runs: [] },
  { title: 'mode as a number', opts: { content: 'x=1\n', mode: 0o644 }, probe: regular('x=1\n'), changed: false, runs: [] },
  { title: 'only the mode differs → chmod only', opts: { content: 'x=1\n', mode: '0600' }, probe: regular('x=1\n'), changed: true, message: 'set mode 0600 on /srv/app.conf', runs: ['chmod 00600 -- /srv/app.conf'] },
  { title: 'metadata of an existing file without content', opts: { mode: '600', owner: 'alice', group: 'staff' }, probe: regular('x=1\n'), changed: true, message: 'set mode 0600, owner alice, group staff on /srv/app.conf', runs: ['chown -- alice:staff /srv/app.conf && chmod 00600 -- /srv/app.conf'] },
  { title: 'group only', opts: { group: 'staff' }, probe: regular('x=1\n'), changed: true, runs: ['chown -- :staff /srv/app.conf'] },
  { title: 'content differs → rewritten keeping mode and owner (root)', opts: { content: 'x=2\n' }, probe: regular('x=1\n', '640', '0\troot\t4\tadm'), changed: true, message: 'updated /srv/app.conf', runs: [UPDATE_KEEPING_METADATA], stdin: 'x=2\n' },
  { title: 'content differs as non-root → mode kept, no chown', opts: { content: 'x=2\n' }, probe: regular('x=1\n', '640', '1000\tstudent\t1000\tstudent'), io: { facts: { uid: 1000 } }, changed: true, runs: [atomicWrite(KEEP_MODE_640)] },
  { title: 'validate, backup, owner and mode on the new file', opts: { content: 'y', validate: 'testparm -s %s', backup: true, mode: '0600', owner: 'alice' }, probe: regular('x'), io: { facts: { uid: 1000 } }, changed: true, runs: [VALIDATED_WITH_BACKUP] },
  { title: 'validate without %s gets the temp path appended', opts: { content: 'y', validate: 'testparm -s', backup: true, mode: '0600', owner: 'alice' }, probe: regular('x'), io: { facts: { uid: 1000 } }, changed: true, runs: [VALIDATED_WITH_BACKUP] },
  { title: 'a symlink in the way is replaced by the file', opts: { content: 'x' }, probe: 'symbolic link\t777\t0\troot\t0\troot\t4\n', changed: true, message: 'updated /srv/app.conf', runs: [CREATE] },
]

for (const c of cases) {
  test(`file: ${c.title}`, async (t) => {
    const io = fakeIO([c.probe], c.io)
    const outcome = await file(io, '/srv/app.conf', c.opts)
    t.is(outcome.changed, c.changed)
    if (c.message) t.is(outcome.message, c.message)
    t.deepEqual(io.runs(), c.runs)
    t.is(io.calls.filter((call) => call.kind === 'probe').length, 1)
    if (c.stdin !== undefined) t.is(io.calls.find((call) => call.kind === 'run')?.stdin, c.stdin)
  })

  if (c.changed) {
    test(`file (check mode): ${c.title}`, async (t) => {
      const io = fakeIO([c.probe], { ...c.io, check: true })
      const outcome = await file(io, '/srv/app.conf', c.opts)
      t.true(outcome.changed)
      t.regex(outcome.message ?? '', /^would /)
      t.deepEqual(io.runs(), [])
    })
  }
}

const failures: Array<{ title: string; path?: string; opts: FileOptions; probes: string[]; run?: { code: number; stderr: string }; error: RegExp; probed: number }> = [
  { title: 'relative path', path: 'etc/x', opts: { content: '' }, probes: [], error: /absolute path/, probed: 0 },
  { title: 'symbolic mode', opts: { content: '', mode: 'u+x' }, probes: [], error: /octal mode/, probed: 0 },
  { title: 'mode out of range', opts: { content: '', mode: 0o17777 }, probes: [], error: /octal mode/, probed: 0 },
  { title: 'owner with a colon', opts: { content: '', owner: 'a:b' }, probes: [], error: /invalid owner/, probed: 0 },
  { title: 'content and source', opts: { content: '', source: '/x' }, probes: [], error: /not both/, probed: 0 },
  { title: 'missing source', opts: { source: '/nonexistent/labplay' }, probes: [], error: /cannot read source/, probed: 0 },
  { title: 'a directory in the way', opts: { content: '' }, probes: ['directory\t755\t0\troot\t0\troot\t4096\n'], error: /not a regular file/, probed: 1 },
  { title: 'no content for a missing file', opts: { mode: '0644' }, probes: ['absent\n'], error: /does not exist/, probed: 1 },
  { title: 'disk full while writing', opts: { content: 'new' }, probes: [regular('old')], run: { code: 1, stderr: 'cat: write error: No space left on device\n' }, error: /cannot write \/srv\/app.conf \(exit 1\): cat: write error: No space left on device$/, probed: 1 },
  { title: 'validation rejects the content', opts: { content: 'new', validate: 'false' }, probes: [regular('old')], run: { code: 97, stderr: 'bad line 3\nvalidate command exited 1\n' }, error: /^validation failed: bad line 3\nvalidate command exited 1$/, probed: 1 },
]

for (const f of failures) {
  test(`file fails: ${f.title}`, async (t) => {
    const io = fakeIO(f.probes, { run: f.run })
    await t.throwsAsync(file(io, f.path ?? '/srv/app.conf', f.opts), { name: 'StepError', message: f.error })
    t.is(io.calls.filter((call) => call.kind === 'probe').length, f.probed)
  })
}

test('file: a failing probe is a StepError with its stderr', async (t) => {
  const io = fakeIO([{ code: 1, stderr: 'sha256sum: -: Permission denied' }])
  await t.throwsAsync(file(io, '/srv/app.conf', { content: 'x' }), { message: /cannot inspect \/srv\/app.conf \(exit 1\): sha256sum: -: Permission denied/ })
  t.deepEqual(io.runs(), [])
})

test('file: diff mode asks for the old content and shows a unified diff', async (t) => {
  const before = 'a\nb\nc\n'
  const io = fakeIO([`${regular(before)}content\n${before}`], { diff: true, check: true })
  const outcome = await file(io, '/srv/app.conf', { content: 'a\nB\nc\n' })
  t.regex(io.calls[0].command, /echo content; cat <"\$p"/)
  t.is(outcome.diff?.text, '--- before/srv/app.conf\n+++ after/srv/app.conf\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n')
})

test('file: diff of a new file is all additions', async (t) => {
  const io = fakeIO(['absent\n'], { diff: true, check: true })
  const outcome = await file(io, '/srv/app.conf', { content: 'one\n' })
  t.is(outcome.diff?.text, '--- before/srv/app.conf\n+++ after/srv/app.conf\n@@ -0,0 +1,1 @@\n+one\n')
})

test('file: binary or large content is named in the diff, not dumped', async (t) => {
  const big = fakeIO([regular('x')], { diff: true, check: true })
  t.regex((await file(big, '/srv/app.conf', { content: 'y'.repeat(300 * 1024) })).diff?.text ?? '', /not shown/)
  const binary = fakeIO([`${regular('x')}content\nx`], { diff: true, check: true })
  t.regex((await file(binary, '/srv/app.conf', { content: Buffer.from([0, 1, 2, 255]) })).diff?.text ?? '', /not shown/)
})

test('file: no diff is computed without diff mode', async (t) => {
  const io = fakeIO(['absent\n'])
  const outcome = await file(io, '/srv/app.conf', { content: 'x' })
  t.is(outcome.diff?.text, undefined)
  t.notRegex(io.calls[0].command, /content/)
})

test('file: source is read on the controller and sent on stdin', async (t) => {
  const { dir, cleanup } = tempDir()
  t.teardown(cleanup)
  writeFileSync(join(dir, 'smb.conf'), '[global]\n')
  const io = fakeIO(['absent\n'])
  await file(io, '/etc/samba/smb.conf', { source: join(dir, 'smb.conf') })
  t.is(io.calls[1].stdin, '[global]\n')
  t.regex(io.calls[1].command, /^p=\/etc\/samba\/smb.conf\ntmp=\$\(mktemp -- \/etc\/samba\/.labplay.XXXXXX\)/)
})

test('file: metadata only never hashes the file (a multi-GB image costs a stat, not a read)', async (t) => {
  const io = fakeIO(['regular file\t644\t0\troot\t0\troot\t8589934592\nunhashed\n'])
  const outcome = await file(io, '/srv/labplay/images/win.qcow2', { mode: '0444' })
  t.true(outcome.changed)
  t.notRegex(io.calls[0]!.command, /sha256sum/)
  t.deepEqual(io.runs(), [`chmod 00444 -- /srv/labplay/images/win.qcow2`])
})
