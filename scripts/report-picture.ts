// The README's picture of `labplay report`: the fixture record of a room of 18 seats, rendered and shot
// in Debian's chromium exactly as the browser test does. Run: npx tsx scripts/report-picture.ts
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openRecords } from '../src/records/store.ts'
import { readReport } from '../src/report/data.ts'
import { renderReport } from '../src/report/html.ts'
import { openReport } from '../test/helpers/report-browser.ts'
import { writeReportFixture } from '../test/helpers/report-fixture.ts'
import { ROOT } from '../test/helpers/labplay.ts'

const dir = mkdtempSync(join(tmpdir(), 'labplay-report-picture-'))
try {
  const db = join(dir, 'runs.db')
  const now = new Date('2026-11-27T16:30:00.000Z')
  writeReportFixture(db, { now, rooms: [{ name: 'm5', seats: 18 }] })
  const records = openRecords(db, { readonly: true })
  // The path shown is the default one, as a lab admin would see it.
  const html = renderReport(readReport(records, { records: '~/.local/state/labplay/runs.db', pattern: 'm5', now }))
  records.close()
  const file = join(dir, 'report.html')
  writeFileSync(file, html)
  const { page, blocked, close } = await openReport(file, { width: 1280, height: 800 })
  try {
    if (blocked.length) throw new Error(`the report asked for ${blocked.join(', ')}`)
    const out = join(ROOT, 'docs', 'report.png')
    await page.screenshot({ path: out, fullPage: true })
    process.stdout.write(`${out}\n`)
  } finally {
    await close()
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
