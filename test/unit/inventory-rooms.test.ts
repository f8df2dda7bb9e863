import test from 'ava'
import { join } from 'node:path'
import { loadInventory } from '../../src/inventory/index.ts'
import { seatRooms, seatVars } from '../../src/inventory/rooms.ts'
import { ROOT } from '../helpers/labplay.ts'
import { inventoryFiles } from './inventory-files.ts'

function inventory(files: Record<string, string>) {
  return loadInventory(['hosts'], { cwd: inventoryFiles(files) })
}

// host → room, as a plain object for deepEqual.
function rooms(inv: Parameters<typeof seatRooms>[0]): Record<string, string> {
  return Object.fromEntries(seatRooms(inv))
}

test("the example campus: m5 and m6 are rooms, gpu keeps no seat, prep-01's room is staff", async (t) => {
  const inv = await loadInventory([join(ROOT, 'inventory')], { cwd: ROOT })
  const r = rooms(inv)
  t.is(r['m5-01'], 'm5')
  t.is(r['m6-01'], 'm6')
  t.is(r['m6-24'], 'm6')
  t.is(r['prep-01'], 'staff')
  t.false(Object.values(r).includes('gpu'))
  t.false(Object.values(r).some((g) => ['rooms', 'windows', 'all', 'ungrouped'].includes(g)))
  t.is(Object.keys(r).length, 18 + 24 + 1)
})

test('a purpose that lists whole rooms again (exam) and one bigger than a room: the rooms keep their seats', async (t) => {
  const inv = await inventory({
    hosts: `[exam]\nm8-[1:30]\nm9-[1:10]\n[m8]\nm8-[1:30]\n[m9]\nm9-[1:30]\n[projector]\nm9-1\nlone-1\n`,
  })
  const r = rooms(inv)
  t.is(r['m8-1'], 'm8', 'exam shares all 40 of its hosts, m8 all 30: the smaller wins')
  t.is(r['m9-1'], 'm9', 'm9 shares 11 of 30')
  t.is(r['m9-30'], 'm9')
  t.is(r['lone-1'], 'projector', 'a host only one group lists is in that group')
  t.false(Object.values(r).includes('exam'))
})

test('two groups listing the same hosts: the first declared is the room; ungrouped hosts have none', async (t) => {
  const inv = await inventory({ hosts: `lost-1\n[b204]\npc-[1:3]\n[b204_alias]\npc-[1:3]\n` })
  t.deepEqual(rooms(inv), { 'pc-1': 'b204', 'pc-2': 'b204', 'pc-3': 'b204' })
})

test('seatVars: room and seat_position with where it was written; hosts the inventory lacks are absent', async (t) => {
  const inv = await inventory({
    hosts: `[m7]\nm7-1 seat_position=1,2\nm7-2\nm7-3\n[m7:vars]\nprinter=m7-laser\n`,
    'host_vars/m7-2.yml': `# front row\nseat_position: [1, 3]\n`,
  })
  const seats = seatVars(inv, ['m7-1', 'm7-2', 'm7-3', 'gone-1'])
  t.deepEqual(seats.get('m7-1'), { room: 'm7', position: { value: '1,2', place: { file: 'hosts', line: 2, col: 6 } } })
  t.deepEqual(seats.get('m7-2')?.position, { value: [1, 3], place: { file: 'host_vars/m7-2.yml', line: 2, col: 1 } })
  t.deepEqual(seats.get('m7-3'), { room: 'm7' })
  t.false(seats.has('gone-1'))
})
