import test from 'ava'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { InputError } from '../../src/errors.ts'
import { openRecords } from '../../src/records/store.ts'
import { main } from '../../src/commands/report.ts'
import { readReport, type ReportData } from '../../src/report/data.ts'
import { ago, escapeHtml, renderReport } from '../../src/report/html.ts'
import { naturalCompare } from '../../src/report/natural.ts'
import { hostSelector } from '../../src/inventory/recorded-hosts.ts'
import { emptyInventory, addGroup, addHost, addChild, reconcile } from '../../src/inventory/model.ts'
import { FAILED_MESSAGE, NEWEST_IMAGE, OLD_IMAGE, ROLES, writeReportFixture } from '../helpers/report-fixture.ts'

const NOW = new Date('2026-11-27T12:00:00.000Z')
const dir = mkdtempSync(join(tmpdir(), 'labplay-report-unit-'))
const DB = join(dir, 'runs.db')
writeReportFixture(DB, { now: NOW })
test.after.always(() => rmSync(dir, { recursive: true, force: true }))

function read(select?: (recorded: string[]) => string[], pattern?: string): ReportData {
  const records = openRecords(DB, { readonly: true })
  try {
    return readReport(records, { records: DB, now: NOW, ...(select ? { select } : {}), ...(pattern ? { pattern } : {}) })
  } finally {
    records.close()
  }
}

test('natural order: m5-2 before m5-10, numbers by value, text by code point', (t) => {
  const names = ['m5-10', 'm5-2', 'm6-1', 'm5-1', 'm5-02', 'a', 'm5-b', 'm10-1', 'm5-100']
  t.deepEqual([...names].sort(naturalCompare), ['a', 'm5-1', 'm5-02', 'm5-2', 'm5-10', 'm5-100', 'm5-b', 'm6-1', 'm10-1'])
  t.true(naturalCompare('x99999999999999999999', 'x100000000000000000000') < 0)
  t.is(naturalCompare('m5-2', 'm5-2'), 0)
})

test('the fixture as data: hosts in natural order, roles in playbook order, every count', (t) => {
  const d = read()
  t.is(d.hosts.length, 20)
  t.deepEqual(d.hosts.slice(0, 12).map((h) => h.host), Array.from({ length: 12 }, (_, i) => `m5-${i + 1}`))
  t.deepEqual(d.roles, ROLES)
  t.deepEqual(d.counts, { hosts: 20, ok: 15, failing: 2, unreachable: 2, rebootPending: 3, neverRun: 0 })
  t.deepEqual(d.rebootPending.map((h) => h.host), ['m5-3', 'm5-10', 'm6-2'])
  t.deepEqual(d.unreachable.map((h) => [h.host, h.lastMessage]), [
    ['m5-11', 'ssh: connect to host m5-11 port 22: Connection refused'],
    ['m6-8', 'ssh: connect to host m6-8 port 22: Connection refused'],
  ])
  t.deepEqual(d.images.map((v) => [v.version, v.hosts.length]), [[NEWEST_IMAGE, 16], [OLD_IMAGE, 3]])
  t.deepEqual(d.lackingNewestImage, ['m5-7', 'm5-11', 'm6-6', 'm6-8'])
  const m57 = d.hosts.find((h) => h.host === 'm5-7')!
  t.is(m57.lastStatus, 'failed')
  t.is(m57.lastMessage, FAILED_MESSAGE)
  t.is(m57.roles['vm-image']?.status, 'failed')
  // The failed role's last success is the first run's; the roles after it kept the first run's outcome.
  t.is(m57.roles['vm-image']?.successAt, '2026-11-24T12:12:00.000Z')
  t.is(m57.roles['gdm-session']?.status, 'changed')
  t.is(m57.roles['gdm-session']?.lastRunId, 1)
  const m66 = d.hosts.find((h) => h.host === 'm6-6')!
  t.false('vm-image' in m66.roles)
  t.is(m66.roles['samba-loopback']?.status, 'skipped')
  t.is(m66.image, undefined)
  // The check run cut short: m6-1 interrupted, and its roles' last success still the run before.
  const m61 = d.hosts.find((h) => h.host === 'm6-1')!
  t.is(m61.lastStatus, 'interrupted')
  t.is(m61.roles['kvm-module']?.lastRunId, 4)
  t.is(m61.roles['kvm-module']?.successAt, '2026-11-27T10:12:00.000Z')
})

test('the last runs, newest first, with host statuses, exit codes and the unfinished one', (t) => {
  const { runs } = read()
  t.deepEqual(runs.map((r) => r.id), [4, 3, 2, 1])
  t.is(runs[0]!.endedAt, undefined)
  t.is(runs[0]!.exitCode, undefined)
  t.true(runs[0]!.check)
  t.deepEqual(runs[2]!.statuses, { ok: 10, failed: 1, unreachable: 1 })
  t.is(runs[2]!.exitCode, 2)
  t.is(runs[2]!.limit, 'm5')
  t.is(runs[3]!.hosts, 20)
})

test('-l resolves like a run: globs and exclusions on recorded names, no inventory needed', (t) => {
  const d = read(hostSelector(undefined, 'm6-*:!m6-8', process.cwd()), 'm6-*:!m6-8')
  t.deepEqual(d.hosts.map((h) => h.host), ['m6-1', 'm6-2', 'm6-3', 'm6-4', 'm6-5', 'm6-6', 'm6-7'])
  t.is(d.counts.unreachable, 0)
  t.deepEqual(d.rebootPending.map((h) => h.host), ['m6-2'])
  // Only runs that reached a selected host.
  t.deepEqual(d.runs.map((r) => r.id), [4, 3, 1])
  t.is(d.pattern, 'm6-*:!m6-8')
  const none = t.throws(() => read(hostSelector(undefined, 'room9', process.cwd())))
  t.true(none instanceof InputError)
  t.regex(none!.message, /matches no host/)
})

test('-l with an inventory: groups work, and an inventory host no run reached is shown as never run', (t) => {
  const inv = emptyInventory()
  addGroup(inv, 'm6')
  for (let i = 1; i <= 9; i++) addHost(inv, `m6-${i}`, 'm6')
  addChild(inv, 'all', 'm6')
  reconcile(inv)
  const d = read(hostSelector(inv, 'm6', process.cwd()), 'm6')
  t.is(d.hosts.length, 9)
  t.is(d.hosts.at(-1)!.host, 'm6-9')
  t.is(d.hosts.at(-1)!.lastStatus, undefined)
  t.is(d.counts.neverRun, 1)
  t.true(d.lackingNewestImage.includes('m6-9'))
})

test('escapeHtml covers text and attributes', (t) => {
  t.is(escapeHtml(`<a href="x" onclick='y'>&</a>`), '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;')
})

test('the page escapes every value from the record: no markup gets through', (t) => {
  const d = read()
  const evil = '<img src=x onerror=alert(1)>'
  d.hosts[0]!.host = `m5-1"${evil}`
  d.hosts[0]!.roles = { [`kvm"${evil}`]: { status: `ok"${evil}`, lastAt: NOW.toISOString(), lastRunId: 1 } }
  d.roles = [`kvm"${evil}`]
  d.runs[0]!.playbook = `/x/${evil}.yml`
  d.runs[0]!.limit = evil
  d.images[0]!.version = evil
  const html = renderReport({ ...d, pattern: evil, records: evil })
  t.false(html.includes('<img'))
  t.false(html.includes('<script'))
  t.true(html.includes('qemu-img check failed: &lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; &amp; more'))
  t.true(html.includes('data-host="m5-1&quot;&lt;img src=x onerror=alert(1)&gt;"'))
  // An unknown status never becomes a class name of its own.
  t.true(html.includes('class="role s-other"'))
})

test('the page is self-contained: no external reference of any kind', (t) => {
  const html = renderReport(read())
  t.notRegex(html, /\b(?:src|href)\s*=/i)
  t.notRegex(html, /@import|url\(/i)
  t.notRegex(html, /<script|<link|<iframe|<img/i)
  t.regex(html, /<table id="room">/)
  t.regex(html, /<td class="role s-failed" data-role="vm-image" data-status="failed"/)
})

test('relative times', (t) => {
  const now = NOW.toISOString()
  t.is(ago(now, now), 'just now')
  t.is(ago('2026-11-27T11:48:00.000Z', now), '12 min ago')
  t.is(ago('2026-11-27T10:00:00.000Z', now), '2 h ago')
  t.is(ago('2026-11-24T12:00:00.000Z', now), '3 d ago')
})

test('cli: writes the page where -o says and prints its path; clear errors for bad input', async (t) => {
  const out = join(dir, 'room.html')
  // No ./inventory here: the report falls back to the recorded names (the repository has an inventory).
  process.chdir(dir)
  const write = process.stdout.write.bind(process.stdout)
  let printed = ''
  process.stdout.write = ((s: string) => ((printed += s), true)) as typeof process.stdout.write
  try {
    t.is(await main(['--records', DB, '-o', out, '-l', 'm5-*']), 0)
  } finally {
    process.stdout.write = write
  }
  t.is(printed, `${out}\n`)
  const html = readFileSync(out, 'utf8')
  // 12 room rows, m5-11 unreachable, m5-3 and m5-10 pending a reboot.
  t.is(html.match(/<tr data-host=/g)?.length, 12 + 1 + 2)
  const missing = join(dir, 'nothing-here.db')
  await t.throwsAsync(main(['--records', missing, '-o', out]), { instanceOf: InputError, message: `no runs recorded yet at ${missing}` })
  await t.throwsAsync(main(['--records', DB, '--bogus']), { instanceOf: InputError, message: /--bogus/ })
  await t.throwsAsync(main(['--records', DB, '-o', join(dir, 'x.txt')]), { instanceOf: InputError, message: /HTML/ })
  await t.throwsAsync(main(['--records', DB, 'extra']), { instanceOf: InputError, message: /unexpected argument 'extra'/ })
})
