// The README's picture of `labplay report`: the fixture campus (250 seats in nine rooms, one with
// seat_position), rendered and shot in Debian's chromium at 1400×900 as the browser test does: the
// room view on one screen. Run: npx tsx scripts/report-picture.ts
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadInventory } from '../src/inventory/index.ts'
import { hostSelector } from '../src/inventory/recorded-hosts.ts'
import { seatVars } from '../src/inventory/rooms.ts'
import { openRecords } from '../src/records/store.ts'
import { readReport } from '../src/report/data.ts'
import { renderReport } from '../src/report/html.ts'
import { openReport } from '../test/helpers/report-browser.ts'
import { writeCampus } from '../test/helpers/report-campus.ts'
import { ROOT } from '../test/helpers/labplay.ts'

const dir = mkdtempSync(join(tmpdir(), 'labplay-report-picture-'))
try {
  const now = new Date('2026-11-27T16:30:00.000Z')
  const { records: db, inventory: source } = writeCampus(dir, now)
  const inventory = await loadInventory([source], { cwd: dir })
  const records = openRecords(db, { readonly: true })
  // The path shown is the default one, as a lab admin would see it.
  const html = renderReport(readReport(records, {
    records: '~/.local/state/labplay/runs.db',
    select: hostSelector(inventory, undefined, dir),
    seats: (hosts) => seatVars(inventory, hosts),
    now,
  }))
  records.close()
  const file = join(dir, 'report.html')
  writeFileSync(file, html)
  const { page, blocked, close } = await openReport(file, { width: 1400, height: 900 })
  try {
    if (blocked.length) throw new Error(`the report asked for ${blocked.join(', ')}`)
    const out = join(ROOT, 'docs', 'report.png')
    await page.screenshot({ path: out })
    process.stdout.write(`${out}\n`)
  } finally {
    await close()
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
