import test from 'ava'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { InputError } from '../../src/errors.ts'
import { openRecords } from '../../src/records/store.ts'
import { main } from '../../src/commands/report.ts'
import { readReport, type ReportData } from '../../src/report/data.ts'
import { renderReport } from '../../src/report/html.ts'
import { ago, escapeHtml } from '../../src/report/markup.ts'
import { naturalCompare } from '../../src/report/natural.ts'
import { hostSelector } from '../../src/inventory/recorded-hosts.ts'
import { emptyInventory, addGroup, addHost, addChild, reconcile } from '../../src/inventory/model.ts'
import { FAILED_MESSAGE, NEWEST_IMAGE, OLD_IMAGE, writeReportFixture } from '../helpers/report-fixture.ts'
import { SEAT_ROLES } from '../helpers/site.ts'
import { writeCampus } from '../helpers/report-campus.ts'
import { loadInventory } from '../../src/inventory/index.ts'
import { seatVars } from '../../src/inventory/rooms.ts'

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
  t.deepEqual(d.roles, SEAT_ROLES)
  t.deepEqual(d.counts, { hosts: 20, ok: 15, failing: 2, unreachable: 2, rebootPending: 3, imageBehind: 3, neverRun: 0 })
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

test('-l with rooms from the inventory: a purpose group shows its seats in their own rooms, positions kept', async (t) => {
  const campus = join(dir, 'campus')
  const { records: db, inventory: source } = writeCampus(campus, NOW)
  const inv = await loadInventory([source], { cwd: campus })
  const records = openRecords(db, { readonly: true })
  t.teardown(() => records.close())
  const rooms = (pattern: string) => readReport(records, { records: db, now: NOW, select: hostSelector(inv, pattern, campus), seats: (h) => seatVars(inv, h) }).rooms
  t.deepEqual(rooms('gpu').map((r) => [r.name, r.seats.map((s) => s.host)]), [['m6', ['m6-1', 'm6-2', 'm6-3', 'm6-4']]])
  t.deepEqual(rooms('exam').map((r) => [r.name, r.seats.length]), [['m8', 30], ['m9', 10]])
  const [m7] = rooms('m7-1:m7-2:m7-24')
  t.deepEqual(m7!.seats.map((s) => [s.host, s.row, s.col, s.positioned]), [['m7-1', 1, 1, true], ['m7-2', 2, 1, true], ['m7-24', 3, 1, false]])
  t.is(m7!.problems.length, 1)
})

test('hosts no inventory group seats: by their names, else in the last block, "Not in a room"', (t) => {
  const inv = emptyInventory()
  addHost(inv, 'prep', 'ungrouped')
  reconcile(inv)
  const records = openRecords(DB, { readonly: true })
  t.teardown(() => records.close())
  const d = readReport(records, { records: DB, now: NOW, select: hostSelector(inv, undefined, process.cwd()), seats: (h) => seatVars(inv, h) })
  t.deepEqual(d.rooms.map((r) => [r.name, r.from, r.seats.length]), [['m5', 'names', 12], ['m6', 'names', 8], ['', 'none', 1]])
  const html = renderReport(d)
  t.regex(html, /<section class="room" data-room="" data-from="none" data-seats="1">\n<h3><span class="room-name">Not in a room<\/span>/)
  t.regex(html, /<h2>Room view <span class="n">2 rooms<\/span><\/h2>/)
})

test('escapeHtml covers text and attributes', (t) => {
  t.is(escapeHtml(`<a href="x" onclick='y'>&</a>`), '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;')
})

test('the page escapes every value from the record: no markup gets through', (t) => {
  const d = read()
  const evil = '<img src=x onerror=alert(1)>'
  d.hosts[0]!.host = `m5-1"${evil}`
  d.rooms[0]!.seats[0]!.host = d.hosts[0]!.host
  d.rooms[0]!.name = evil
  d.rooms[0]!.problems = [`seat_position: got "${evil}"`]
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
  t.true(html.includes('<li>seat_position: got &quot;&lt;img src=x onerror=alert(1)&gt;&quot;</li>'))
  // An unknown status never becomes a class name of its own.
  t.true(html.includes('<span class="s-other" data-role="kvm&quot;'))
})

test('the page is self-contained: no external reference of any kind', (t) => {
  const html = renderReport(read())
  t.notRegex(html, /\b(?:src|href)\s*=/i)
  t.notRegex(html, /@import|url\(/i)
  t.notRegex(html, /<script|<link|<iframe|<img/i)
  t.regex(html, /<div class="rooms" id="rooms">/)
  t.regex(html, /<span class="s-failed" data-role="vm-image" data-status="failed"/)
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
  // 12 seats, all in room m5 by their names (no inventory); rows for m5-11 unreachable, m5-3 and m5-10 pending a reboot.
  t.is(html.match(/<div class="seat /g)?.length, 12)
  t.is(html.match(/<section class="room" data-room="m5" data-from="names"/g)?.length, 1)
  t.is(html.match(/<tr data-host=/g)?.length, 1 + 2)
  const missing = join(dir, 'nothing-here.db')
  await t.throwsAsync(main(['--records', missing, '-o', out]), { instanceOf: InputError, message: `no runs recorded yet at ${missing}` })
  await t.throwsAsync(main(['--records', DB, '--bogus']), { instanceOf: InputError, message: /--bogus/ })
  await t.throwsAsync(main(['--records', DB, '-o', join(dir, 'x.txt')]), { instanceOf: InputError, message: /HTML/ })
  await t.throwsAsync(main(['--records', DB, 'extra']), { instanceOf: InputError, message: /unexpected argument 'extra'/ })
})
