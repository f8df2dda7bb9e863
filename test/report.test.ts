import test from 'ava'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openRecords } from '../src/records/store.ts'
import { readReport } from '../src/report/data.ts'
import { renderReport } from '../src/report/html.ts'
import { ROOT } from './helpers/labplay.ts'
import { openReport } from './helpers/report-browser.ts'
import { SEAT_ROLES } from './helpers/site.ts'
import { FAILED_MESSAGE, NEWEST_IMAGE, OLD_IMAGE, writeReportFixture } from './helpers/report-fixture.ts'

// The report in a real browser (Debian's chromium through playwright-core): what a lab admin sees. Its screenshot is
// kept with the other tests' pictures (out/ is not committed).
const dir = mkdtempSync(join(tmpdir(), 'labplay-report-'))
const ARTIFACTS = join(ROOT, 'out', 'test-artifacts', 'report')
test.after.always(() => rmSync(dir, { recursive: true, force: true }))

// A PNG's width and height, from its IHDR chunk.
function pngSize(file: string): { width: number; height: number } {
  const bytes = readFileSync(file)
  if (bytes.subarray(1, 4).toString() !== 'PNG') throw new Error(`${file} is not a PNG`)
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) }
}

test('the fixture rooms in chromium: seat tiles by name, failed role cell, badges, reboot, unreachable, images; offline; screenshot', async (t) => {
  const db = join(dir, 'runs.db')
  const { hosts } = writeReportFixture(db, { now: new Date() })
  const records = openRecords(db, { readonly: true })
  const html = renderReport(readReport(records, { records: db }))
  records.close()
  const file = join(dir, 'report.html')
  writeFileSync(file, html)

  const { page, blocked, close } = await openReport(file)
  t.teardown(close)
  let dialogs = 0
  page.on('dialog', (d) => (dialogs++, void d.dismiss()))

  // Room view: with no inventory, rooms by the names (m5, m6), a tile per host in natural order.
  t.is(await page.locator('.seat').count(), hosts.length)
  t.deepEqual(await page.locator('section.room').evaluateAll((els) => els.map((e) => [e.getAttribute('data-room'), e.getAttribute('data-from')])), [['m5', 'names'], ['m6', 'names']])
  t.deepEqual((await page.locator('section.room[data-room="m5"] .seat').evaluateAll((els) => els.map((e) => e.getAttribute('data-host')))).slice(0, 11),
    ['m5-1', 'm5-2', 'm5-3', 'm5-4', 'm5-5', 'm5-6', 'm5-7', 'm5-8', 'm5-9', 'm5-10', 'm5-11'])
  t.deepEqual(await page.locator('#role-order b').allTextContents(), SEAT_ROLES)

  // The failed role: its status, a red cell, the time of its last success, and the message not run as markup.
  const failed = page.locator('.seat[data-host="m5-7"] [data-role="vm-image"]')
  t.is(await failed.getAttribute('data-status'), 'failed')
  t.regex(await failed.getAttribute('title') ?? '', /^vm-image: failed in run #2, .*; last success 2 d ago \(.+\)$/)
  t.is(await failed.evaluate((e) => getComputedStyle(e).backgroundColor), 'rgb(242, 139, 130)')
  t.is((await page.locator('.seat[data-host="m5-7"]').getAttribute('title'))?.split('\n')[1], FAILED_MESSAGE)
  t.is(await page.locator('.seat[data-host="m5-1"] [data-role="vm-image"]').getAttribute('data-status'), 'ok')
  t.is(await page.locator('.seat[data-host="m6-6"] [data-role="vm-image"]').getAttribute('data-status'), 'none')
  t.is(await page.locator('.seat[data-host="m5-11"]').getAttribute('data-status'), 'unreachable')
  t.deepEqual(await page.locator('.seat[data-host="m5-11"] [data-badge]').evaluateAll((els) => els.map((e) => e.getAttribute('data-badge'))), ['image-behind', 'unreachable'])
  t.deepEqual(await page.locator('.seat:has([data-badge="reboot-pending"])').evaluateAll((els) => els.map((e) => e.getAttribute('data-host'))), ['m5-3', 'm5-10', 'm6-2'])
  t.is(await page.locator('script').count(), 0)
  t.is(dialogs, 0)

  // Header counts.
  t.is(await page.locator('[data-count="hosts"] b').innerText(), '20')
  t.is(await page.locator('[data-count="failing"] b').innerText(), '2')
  t.is(await page.locator('[data-count="reboot-pending"] b').innerText(), '3')

  // Reboot pending and unreachable lists.
  t.deepEqual(await page.locator('#reboot-table tbody th').allTextContents(), ['m5-3', 'm5-10', 'm6-2'])
  t.deepEqual(await page.locator('#unreachable-table tbody th').allTextContents(), ['m5-11', 'm6-8'])
  t.is(await page.locator('#unreachable-table tr[data-host="m6-8"] td.message').innerText(), 'ssh: connect to host m6-8 port 22: Connection refused')

  // Image versions: newest first with its count, and who lacks it.
  t.deepEqual(await page.locator('#images-table tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-version'), tr.querySelector('td.num')?.textContent])),
    [[NEWEST_IMAGE, '16'], [OLD_IMAGE, '3']])
  t.deepEqual(await page.locator('#lacking-image .chip').allTextContents(), ['m5-7', 'm5-11', 'm6-6', 'm6-8'])
  t.is(await page.locator('#runs tbody tr').count(), 4)

  // Self-contained: the page asked for nothing beyond itself.
  t.deepEqual(blocked, [])

  mkdirSync(ARTIFACTS, { recursive: true })
  const shot = join(ARTIFACTS, 'report.png')
  await page.screenshot({ path: shot, fullPage: true })
  t.log(`screenshot: ${shot}`)
  const size = pngSize(shot)
  t.true(statSync(shot).size > 20_000, 'a real picture, not a blank page')
  t.true(size.width >= 1400 && size.height > 600, `${size.width}×${size.height}`)
})
