import test from 'ava'
import type { SeatVars } from '../../src/inventory/rooms.ts'
import { autoCols, layRooms, MAX_GRID, nameStem, type Room } from '../../src/report/rooms.ts'
import { Keyring } from '../../src/vault/keyring.ts'
import { Vaulted } from '../../src/vault/value.ts'

const seq = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`)
const at = (file: string, line: number) => ({ file, line, col: 1 })

// A room's seats as host@row,col (~ when not placed by seat_position), for compact comparisons.
function grid(room: Room): string[] {
  return room.seats.map((s) => `${s.host}@${s.row},${s.col}${s.positioned ? '' : '~'}`)
}

test('name stems: the name without its trailing number; addresses and names without one have none', (t) => {
  const cases: Array<[string, string | undefined]> = [
    ['m5-07', 'm5'], ['m5-7', 'm5'], ['pc12', 'pc'], ['b204-pc-3', 'b204-pc'], ['lab3_02', 'lab3'],
    ['m5-07.campus.example', 'm5'], ['prep', undefined], ['12', undefined], ['-3', undefined],
    ['10.250.1.11', undefined], ['fe80::1', undefined], ['m5-2a', undefined],
  ]
  for (const [host, stem] of cases) t.is(nameStem(host), stem, host)
})

test('rooms in natural order: inventory groups; hosts no group seats by their names, joining a room of that name; the rest last', (t) => {
  const seats = new Map<string, SeatVars>([
    ...seq('m10-', 3).map((h): [string, SeatVars] => [h, { room: 'm10' }]),
    ...seq('m5-', 2).map((h): [string, SeatVars] => [h, { room: 'm5' }]),
  ])
  const hosts = ['m5-1', 'm5-2', 'm5-19', 'm10-1', 'm10-2', 'm10-3', 'lab7-2', 'lab7-10', 'prep', '10.0.0.9']
  const rooms = layRooms(hosts, seats)
  t.deepEqual(rooms.map((r) => [r.name, r.from, r.seats.map((s) => s.host)]), [
    ['lab7', 'names', ['lab7-2', 'lab7-10']],
    ['m5', 'inventory', ['m5-1', 'm5-2', 'm5-19']],
    ['m10', 'inventory', ['m10-1', 'm10-2', 'm10-3']],
    ['', 'none', ['10.0.0.9', 'prep']],
  ])
  t.deepEqual(rooms.flatMap((r) => r.problems), [])
})

test('without positions: natural order, row by row, a little wider than tall', (t) => {
  t.deepEqual([1, 3, 8, 12, 18, 30, 250].map(autoCols), [1, 2, 4, 4, 5, 6, 18])
  const [room] = layRooms(['m5-10', 'm5-2', 'm5-1', 'm5-3', 'm5-4', 'm5-5', 'm5-6', 'm5-7', 'm5-8', 'm5-9', 'm5-11', 'm5-12'], new Map())
  t.like(room, { name: 'm5', from: 'names', rows: 3, cols: 4 })
  t.deepEqual(grid(room!).slice(0, 6), ['m5-1@1,1~', 'm5-2@1,2~', 'm5-3@1,3~', 'm5-4@1,4~', 'm5-5@2,1~', 'm5-6@2,2~'])
  t.is(grid(room!).at(-1), 'm5-12@3,4~')
})

test('seat_position: "row,col" or [row, col] places a seat; the grid is as wide as its widest row', (t) => {
  const seats = new Map<string, SeatVars>([
    ['m7-1', { room: 'm7', position: { value: '1,1' } }],
    ['m7-2', { room: 'm7', position: { value: ' 2 , 1 ' } }],
    ['m7-3', { room: 'm7', position: { value: [1, 5] } }],
    ['m7-4', { room: 'm7', position: { value: `${MAX_GRID},2` } }],
  ])
  const [room] = layRooms(['m7-1', 'm7-2', 'm7-3', 'm7-4'], seats)
  t.deepEqual(grid(room!), ['m7-1@1,1', 'm7-2@2,1', 'm7-3@1,5', `m7-4@${MAX_GRID},2`])
  t.like(room, { rows: MAX_GRID, cols: 5, problems: [] })
})

test('bad seat_position values are problems with their place, and those seats go below the grid by name', (t) => {
  const keyring = new Keyring([{ label: 'default', password: Buffer.from('pw'), source: 'test' }])
  const bad: unknown[] = ['3;2', '0,1', `1,${MAX_GRID + 1}`, [1, 2, 3], 12, { row: 1 }, new Vaulted('$ANSIBLE_VAULT;1.1;AES256\n00', keyring), 'x'.repeat(60), ['1', '2']]
  const seats = new Map<string, SeatVars>([['m7-1', { room: 'm7', position: { value: '1,1', place: at('hosts', 2) } }]])
  bad.forEach((value, i) => seats.set(`m7-${i + 2}`, { room: 'm7', position: { value, place: at(`host_vars/m7-${i + 2}.yml`, 1) } }))
  seats.set('m7-20', { room: 'm7', position: { value: '1,1', place: at('host_vars/m7-20.yml', 3) } })
  seats.set('m7-21', { room: 'm7' })
  const hosts = [...seats.keys()]
  const [room] = layRooms(hosts, seats)
  const expected = 'expected "row,col" (whole numbers 1 to 40), got'
  t.deepEqual(room!.problems, [
    `host_vars/m7-2.yml:1:1: m7-2: seat_position: ${expected} "3;2"; placed by name instead`,
    `host_vars/m7-3.yml:1:1: m7-3: seat_position: ${expected} "0,1"; placed by name instead`,
    `host_vars/m7-4.yml:1:1: m7-4: seat_position: ${expected} "1,41"; placed by name instead`,
    `host_vars/m7-5.yml:1:1: m7-5: seat_position: ${expected} a list of 3; placed by name instead`,
    `host_vars/m7-6.yml:1:1: m7-6: seat_position: ${expected} 12; placed by name instead`,
    `host_vars/m7-7.yml:1:1: m7-7: seat_position: ${expected} a mapping; placed by name instead`,
    `host_vars/m7-8.yml:1:1: m7-8: seat_position: ${expected} an encrypted value; placed by name instead`,
    `host_vars/m7-9.yml:1:1: m7-9: seat_position: ${expected} "${'x'.repeat(40)}…"; placed by name instead`,
    `host_vars/m7-10.yml:1:1: m7-10: seat_position: ${expected} a list of 2; placed by name instead`,
    `host_vars/m7-20.yml:3:1: m7-20: seat_position "1,1" is m7-1's too; placed by name instead`,
  ])
  // m7-1 keeps 1,1; the other eleven follow in rows below it, autoCols(11) = 4 wide.
  t.like(room, { rows: 4, cols: 4 })
  t.deepEqual(grid(room!).slice(0, 6), ['m7-1@1,1', 'm7-2@2,1~', 'm7-3@2,2~', 'm7-4@2,3~', 'm7-5@2,4~', 'm7-6@3,1~'])
  t.deepEqual(grid(room!).slice(-2), ['m7-20@4,2~', 'm7-21@4,3~'])
})

test('a room where no seat_position is valid is laid out as if none were set', (t) => {
  const seats = new Map<string, SeatVars>(seq('m9-', 4).map((h): [string, SeatVars] => [h, { room: 'm9', position: { value: 'front' } }]))
  const [room] = layRooms(seq('m9-', 4), seats)
  t.is(room!.problems.length, 4)
  t.deepEqual(grid(room!), ['m9-1@1,1~', 'm9-2@1,2~', 'm9-3@1,3~', 'm9-4@2,1~'])
  t.like(room, { rows: 2, cols: 3 })
})
