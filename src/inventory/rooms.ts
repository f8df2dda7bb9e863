import type { Place } from '../errors.ts'
import { hostVarsWithPlaces } from './host-vars.ts'
import type { Inventory } from './types.ts'

// The variable that puts a seat at its place in the room's grid ("row,col"); src/report/rooms.ts reads it.
export const SEAT_POSITION = 'seat_position'

// What the inventory says about where a host sits: its room, and its seat_position as written.
export interface SeatVars {
  room?: string
  position?: { value: unknown; place?: Place }
}

// A room is a group that lists hosts itself (not `all` or `ungrouped`): groups of groups are purposes
// (rooms:children, windows:children). A host several such groups list goes to the one whose hosts other
// such groups list least, then the smaller, then the first declared: a purpose group of seats (gpu, exam)
// shares most or all of its hosts, so the rooms keep their seats and it gets none.
export function seatRooms(inv: Inventory): Map<string, string> {
  const groups = [...inv.groups.values()].filter((g) => g.name !== 'all' && g.name !== 'ungrouped' && g.hosts.length > 0)
  const listings = new Map<string, number>()
  for (const g of groups) for (const h of g.hosts) listings.set(h, (listings.get(h) ?? 0) + 1)
  const ranked = groups
    .map((g, order) => ({ g, order, shared: g.hosts.filter((h) => listings.get(h)! > 1).length / g.hosts.length }))
    .sort((a, b) => a.shared - b.shared || a.g.hosts.length - b.g.hosts.length || a.order - b.order)
  const rooms = new Map<string, string>()
  for (const { g } of ranked) for (const h of g.hosts) if (!rooms.has(h)) rooms.set(h, g.name)
  return rooms
}

// Each of `hosts` the inventory lists: its room and seat_position (with where it was written). Hosts the
// inventory does not list are absent.
export function seatVars(inv: Inventory, hosts: string[]): Map<string, SeatVars> {
  const rooms = seatRooms(inv)
  const out = new Map<string, SeatVars>()
  for (const host of hosts) {
    if (!inv.hosts.has(host)) continue
    const seat: SeatVars = {}
    const room = rooms.get(host)
    if (room !== undefined) seat.room = room
    const { vars, places } = hostVarsWithPlaces(inv, host)
    if (vars[SEAT_POSITION] !== undefined) {
      const place = places[SEAT_POSITION]
      seat.position = { value: vars[SEAT_POSITION], ...(place ? { place } : {}) }
    }
    out.set(host, seat)
  }
  return out
}
