import test from 'ava'
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { BIN } from './helpers/labplay.ts'
import { openReport } from './helpers/report-browser.ts'
import { CAMPUS_ANOMALIES, CAMPUS_ROOMS, CAMPUS_SEATS, m7Position, MISTYPED, NEVER_RUN, writeCampus } from './helpers/report-campus.ts'
import { FAILED_MESSAGE } from './helpers/report-fixture.ts'
import { SEAT_ROLES } from './helpers/site.ts'

// `labplay report -i` on a campus of 250 seats in nine rooms, in Debian's chromium at 1400×900: the whole
// room view on one screen, as an admin at a desk sees it.
const dir = mkdtempSync(join(tmpdir(), 'labplay-report-campus-'))
const shots = mkdtempSync(join(tmpdir(), 'labplay-report-campus-shot-'))
test.after.always(() => rmSync(dir, { recursive: true, force: true }))

const VIEWPORT = { width: 1400, height: 900 }

interface Tile {
  host: string
  room: string
  status: string
  badges: string[]
  row: number
  col: number
  x: number
  y: number
  right: number
  bottom: number
}

test('250 seats in nine rooms fit one 1400×900 screen: natural order, seat positions, badges and role detail where the record says', async (t) => {
  const { records, inventory } = writeCampus(dir, new Date())
  const file = join(dir, 'campus.html')
  const run = await promisify(execFile)('node', [BIN, 'report', '-i', inventory, '--records', records, '-o', file],
    { cwd: dir, env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 })
  t.is(run.stdout.trim(), file)

  const { page, blocked, close } = await openReport(file, VIEWPORT)
  t.teardown(close)
  const tiles: Tile[] = await page.locator('.seat').evaluateAll((els) => els.map((e) => {
    const box = e.getBoundingClientRect()
    const el = e as HTMLElement
    return {
      host: el.dataset.host!, room: el.closest<HTMLElement>('.room')!.dataset.room!, status: el.dataset.status!,
      badges: [...el.querySelectorAll<HTMLElement>('[data-badge]')].map((b) => b.dataset.badge!),
      row: Number(el.dataset.row), col: Number(el.dataset.col), x: box.left, y: box.top, right: box.right, bottom: box.bottom,
    }
  }))

  // One screen: every tile inside the viewport, at a readable size, and the page no wider than it.
  t.is(tiles.length, CAMPUS_SEATS)
  t.deepEqual(tiles.filter((b) => b.x < 0 || b.y < 0 || b.right > VIEWPORT.width || b.bottom > VIEWPORT.height).map((b) => b.host), [])
  t.true(tiles.every((b) => b.right - b.x >= 60 && b.bottom - b.y >= 30), 'tiles keep a readable size')
  t.true(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scrolling')
  t.log(`lowest tile ends at y=${Math.max(...tiles.map((b) => b.bottom)).toFixed(0)} of ${VIEWPORT.height}`)

  // A block per room, in natural order, each with all its seats.
  t.deepEqual(await page.locator('section.room').evaluateAll((els) => els.map((e) => [(e as HTMLElement).dataset.room, (e as HTMLElement).dataset.from, Number((e as HTMLElement).dataset.seats)])),
    CAMPUS_ROOMS.map((r) => [r.name, 'inventory', r.seats]))

  // Rooms without seat_position: reading the screen row by row gives the names in natural order.
  for (const room of CAMPUS_ROOMS.filter((r) => r.name !== 'm7')) {
    const seen = tiles.filter((b) => b.room === room.name).sort((a, b) => Math.round(a.y - b.y) || a.x - b.x).map((b) => b.host)
    t.deepEqual(seen, Array.from({ length: room.seats }, (_, i) => `${room.name}-${i + 1}`), room.name)
  }

  // m7: every seat where its seat_position says (column by column, an aisle in column 4); the mistyped one
  // below the grid, and the problem shown with its file and line.
  const m7 = new Map(tiles.filter((b) => b.room === 'm7').map((b) => [b.host, b]))
  const origin = m7.get('m7-1')!
  const pitchX = m7.get('m7-5')!.x - origin.x
  const pitchY = m7.get('m7-2')!.y - origin.y
  t.true(pitchX > 60 && pitchY > 30)
  for (let n = 1; n <= 24; n++) {
    const want = n === 24 ? { row: 5, col: 1 } : m7Position(n)
    const b = m7.get(`m7-${n}`)!
    t.deepEqual([b.row, b.col], [want.row, want.col], `m7-${n}`)
    t.true(Math.abs(b.x - (origin.x + (want.col - 1) * pitchX)) < 1 && Math.abs(b.y - (origin.y + (want.row - 1) * pitchY)) < 1, `m7-${n} drawn at ${want.row},${want.col}`)
  }
  t.deepEqual(await page.locator('section.room[data-room="m7"] .problems li').allTextContents(),
    [`inventory/host_vars/${MISTYPED.host}.yml:2:1: ${MISTYPED.host}: seat_position: expected "row,col" (whole numbers 1 to 40), got "${MISTYPED.value}"; placed by name instead`])

  // Badges exactly where the record puts them, in a fixed order.
  const a = CAMPUS_ANOMALIES
  const expectedBadges = (host: string) => [
    ...(a.oldImage.includes(host) ? ['image-behind'] : []),
    ...(a.rebootPending.includes(host) ? ['reboot-pending'] : []),
    ...(a.unreachable.includes(host) ? ['unreachable'] : []),
  ]
  t.deepEqual(tiles.filter((b) => b.badges.length).map((b) => [b.host, b.badges]), tiles.filter((b) => expectedBadges(b.host).length).map((b) => [b.host, expectedBadges(b.host)]))
  t.is(tiles.filter((b) => b.badges.length).length, 11)

  // Colours by last status: failed and unreachable where the record says, m6-1 cut short, m13-28 never run.
  const by = (status: string) => tiles.filter((b) => b.status === status).map((b) => b.host)
  t.deepEqual(by('failed'), Object.keys(a.failed))
  t.deepEqual(by('unreachable'), a.unreachable)
  t.deepEqual(by('interrupted'), ['m6-1'])
  t.deepEqual(by('none'), [NEVER_RUN])
  const colour = (host: string) => page.locator(`.seat[data-host="${host}"]`).evaluate((e) => getComputedStyle(e).backgroundColor)
  t.is(await colour('m5-7'), 'rgb(242, 139, 130)')
  t.is(await colour('m10-1'), 'rgb(189, 189, 189)')
  t.is(await colour(NEVER_RUN), 'rgb(255, 255, 255)')

  // m5-7's strip: one cell per role in playbook order; vm-image failed in run 2, the roles after it kept run 1's outcome.
  const m57 = page.locator('.seat[data-host="m5-7"]')
  t.deepEqual(await m57.locator('.roles > span').evaluateAll((els) => els.map((e) => [(e as HTMLElement).dataset.role, (e as HTMLElement).dataset.status])),
    [['kvm-module', 'ok'], ['udpcast', 'ok'], ['vm-image', 'failed'], ['samba-loopback', 'changed'], ['gdm-session', 'changed']])
  t.regex(await m57.locator('[data-role="vm-image"]').getAttribute('title') ?? '',
    /^vm-image: failed in run #2, 5 h ago \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\); last success 2 d ago \(.+ UTC\)$/)
  t.is(await m57.locator('[data-role="vm-image"]').evaluate((e) => getComputedStyle(e).backgroundColor), 'rgb(242, 139, 130)')
  const m57title = (await m57.getAttribute('title'))!.split('\n')
  t.is(m57title[0], 'm5-7: failed in run #2, 5 h ago')
  t.is(m57title[1], FAILED_MESSAGE, 'the message as text: the page escaped it')
  t.deepEqual(m57title.slice(-SEAT_ROLES.length).map((l) => l.split(':')[0]), SEAT_ROLES)
  t.is((await page.locator('.seat[data-host="m6-6"] [data-role="vm-image"]').getAttribute('title')), 'vm-image: never run here')
  t.deepEqual(await page.locator('#role-order b').allTextContents(), SEAT_ROLES)

  // The other sections still there, one self-contained page.
  t.deepEqual(await page.locator('#reboot-table tbody th').allTextContents(), a.rebootPending)
  t.deepEqual(await page.locator('#unreachable-table tbody th').allTextContents(), a.unreachable)
  t.is(await page.locator('#images-table tr.newest td.num').innerText(), String(CAMPUS_SEATS - a.oldImage.length - a.noImage.length - 1))
  t.is(await page.locator('#runs tbody tr').count(), 4)
  t.is(await page.locator('script').count(), 0)
  t.deepEqual(blocked, [])

  const shot = join(shots, 'campus.png')
  await page.screenshot({ path: shot })
  t.log(`screenshot: ${shot}`)
  const png = readFileSync(shot)
  t.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [VIEWPORT.width, VIEWPORT.height])
  t.true(statSync(shot).size > 50_000, 'a real picture, not a blank page')
})
