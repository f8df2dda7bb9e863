import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type Anomalies, writeReportFixture } from './report-fixture.ts'

// A campus of 250 seats in nine rooms, as a run record and the inventory that seats them: what the
// room view must fit on one 1400×900 screen. m7's seats have seat_position (numbered column by column,
// an aisle in column 4, one value mistyped); m13-28 is in the inventory but no run reached it.
export const CAMPUS_ROOMS = [
  { name: 'm5', seats: 18 },
  { name: 'm6', seats: 30 },
  { name: 'm7', seats: 24 },
  { name: 'm8', seats: 30 },
  { name: 'm9', seats: 30 },
  { name: 'm10', seats: 30 },
  { name: 'm11', seats: 30 },
  { name: 'm12', seats: 30 },
  { name: 'm13', seats: 28 },
]
export const CAMPUS_SEATS = CAMPUS_ROOMS.reduce((n, r) => n + r.seats, 0)
export const NEVER_RUN = 'm13-28'

export const CAMPUS_ANOMALIES: Anomalies = {
  rebootPending: ['m5-3', 'm5-10', 'm6-2', 'm8-4', 'm11-30'],
  failed: { 'm5-7': 'vm-image', 'm6-3': 'kvm-module', 'm9-12': 'samba-loopback' },
  unreachable: ['m5-11', 'm6-8', 'm10-1'],
  oldImage: ['m5-7', 'm5-11', 'm6-8', 'm12-5', 'm12-6'],
  noImage: ['m6-6'],
  skipped: { 'm6-6': 'samba-loopback' },
  neverRan: { 'm6-6': 'vm-image' },
}

// m7: seat n sits in row 1 + (n-1) % 4 of column 1 + (n-1) / 4, skipping the aisle (column 4).
export const M7_COLUMNS = [1, 2, 3, 5, 6, 7]
export function m7Position(n: number): { row: number; col: number } {
  return { row: 1 + ((n - 1) % 4), col: M7_COLUMNS[Math.floor((n - 1) / 4)]! }
}
export const MISTYPED = { host: 'm7-24', value: '4;7' }

// Writes `<dir>/runs.db` and `<dir>/inventory/` (hosts, host_vars/m7-*.yml); their paths.
export function writeCampus(dir: string, now: Date): { records: string; inventory: string } {
  const records = join(dir, 'runs.db')
  const recorded = CAMPUS_ROOMS.map((r) => (r.name === 'm13' ? { ...r, seats: r.seats - 1 } : r))
  writeReportFixture(records, { now, rooms: recorded, anomalies: CAMPUS_ANOMALIES })
  const inventory = join(dir, 'inventory')
  mkdirSync(join(inventory, 'host_vars'), { recursive: true })
  writeFileSync(join(inventory, 'hosts'), [
    ...CAMPUS_ROOMS.map((r) => `[${r.name}]\n${r.name}-[1:${r.seats}]\n`),
    `[rooms:children]\n${CAMPUS_ROOMS.map((r) => r.name).join('\n')}\n`,
    '# Purposes that list seats again: the rooms keep them.',
    '[gpu]\nm6-[1:4]\n',
    '[exam]\nm8-[1:30]\nm9-[1:10]\n',
  ].join('\n'))
  for (let n = 1; n <= 24; n++) {
    const host = `m7-${n}`
    const { row, col } = m7Position(n)
    const value = host === MISTYPED.host ? MISTYPED.value : `${row},${col}`
    writeFileSync(join(inventory, 'host_vars', `${host}.yml`), `# Seen from the teacher's desk.\nseat_position: "${value}"\n`)
  }
  return { records, inventory }
}
