import test from 'ava'
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { createLab, type Lab } from './lab/lab.ts'
import { BIN, cleanUp, labNoticePlay, labplay, project } from './helpers/labplay.ts'
import { openReport } from './helpers/report-browser.ts'

// End to end: real runs on three lab hosts are recorded, one host goes dark for the second run,
// and `labplay report` shows exactly that in a browser.
let lab: Lab
let dir: string

test.before(async () => {
  lab = await createLab({ hosts: 3 })
  dir = project({ 'site.yml': labNoticePlay('m5') })
})

test.after.always(() => cleanUp(lab, dir))

test('two recorded runs, one host down the second time: the report shows it unreachable and the others ok', async (t) => {
  const records = join(dir, 'runs.db')
  const env = { LABPLAY_RECORDS: records }
  const [up1, up2, down] = lab.hosts.map((h) => h.name) as [string, string, string]

  const first = await labplay(lab, [join(dir, 'site.yml')], { cwd: dir, env })
  t.is(first.code, 0, first.stdout + first.stderr)
  t.true(existsSync(records), 'the run was recorded where LABPLAY_RECORDS says')
  await lab.stopSsh(down)
  const second = await labplay(lab, [join(dir, 'site.yml'), '-T', '3'], { cwd: dir, env })
  t.is(second.code, 4, second.stdout + second.stderr)

  const page = join(dir, 'room.html')
  const report = await promisify(execFile)('node', [BIN, 'report', '-o', page], { cwd: dir, env: { ...process.env, ...env, NO_COLOR: '1' }, timeout: 60_000 })
  t.is(report.stdout.trim(), page)

  const { page: browser, blocked, close } = await openReport(page)
  t.teardown(close)
  t.deepEqual(await browser.locator('.seat').evaluateAll((els) => els.map((e) => [e.getAttribute('data-host'), e.getAttribute('data-status')])),
    [[up1, 'ok'], [up2, 'ok'], [down, 'unreachable']])
  // No inventory where the report runs: the three hosts are one room by their names.
  t.deepEqual(await browser.locator('section.room').evaluateAll((els) => els.map((e) => [e.getAttribute('data-from'), e.getAttribute('data-seats')])), [['names', '3']])
  t.deepEqual(await browser.locator('#role-order b').allTextContents(), ['lab-notice'])
  for (const host of [up1, up2]) {
    t.regex(await browser.locator(`.seat[data-host="${host}"] [data-role="lab-notice"]`).getAttribute('data-status') ?? '', /^(ok|changed)$/)
  }
  t.deepEqual(await browser.locator(`.seat[data-host="${down}"] [data-badge]`).evaluateAll((els) => els.map((e) => e.getAttribute('data-badge'))), ['unreachable'])
  t.is(await browser.locator(`.seat[data-host="${up1}"] [data-badge]`).count(), 0)
  t.deepEqual(await browser.locator('#unreachable-table tbody th').allTextContents(), [down])
  t.regex(await browser.locator(`#unreachable-table tr[data-host="${down}"] td.message`).innerText(), /\S/)
  t.is(await browser.locator('[data-count="unreachable"] b').innerText(), '1')
  t.is(await browser.locator('#runs tbody tr').count(), 2)
  t.deepEqual(await browser.locator('#runs td[data-col="exit"]').allTextContents(), ['4', '0'])
  t.deepEqual(blocked, [])
  // Kept after the test (the project folder is not): the picture of what was asserted.
  const shot = join(mkdtempSync(join(tmpdir(), 'labplay-report-lab-')), 'room.png')
  await browser.screenshot({ path: shot, fullPage: true })
  t.log(`screenshot: ${shot}`)
})
