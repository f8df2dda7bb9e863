import { InputError } from '../errors.ts'
import { SEAT_POSITION, type SeatVars } from '../inventory/rooms.ts'
import { Vaulted } from '../vault/value.ts'
import { naturalCompare } from './natural.ts'

// Where a room's seats come from: an inventory group (src/inventory/rooms.ts), host names (m5-7 → m5)
// for hosts no group seats, or neither: the hosts in no room.
export type RoomSource = 'inventory' | 'names' | 'none'

// A seat in its room's grid (1-based); `positioned` when its seat_position put it there.
export interface Seat {
  host: string
  row: number
  col: number
  positioned: boolean
}

// One block of the room view: seats in natural order of their names, the grid's size, and what was
// wrong with the room's seat_position values (a seat concerned goes below the positioned ones, by name).
export interface Room {
  // The group or the names' stem; '' for the hosts in no room.
  name: string
  from: RoomSource
  rows: number
  cols: number
  seats: Seat[]
  problems: string[]
}

// seat_position's bound on rows and columns: a typo must not make a page of a thousand empty cells.
export const MAX_GRID = 40

// The selected hosts → their rooms, in natural order of the rooms' names, the hosts in no room last.
export function layRooms(hosts: string[], seats: Map<string, SeatVars>): Room[] {
  const members = new Map<string, { from: RoomSource; hosts: string[] }>()
  const join = (name: string, from: RoomSource, host: string) => {
    const room = members.get(name) ?? { from, hosts: [] }
    if (from === 'inventory') room.from = from
    room.hosts.push(host)
    members.set(name, room)
  }
  for (const host of hosts) {
    const room = seats.get(host)?.room
    const stem = room === undefined ? nameStem(host) : undefined
    if (room !== undefined) join(room, 'inventory', host)
    else if (stem !== undefined) join(stem, 'names', host)
    else join('', 'none', host)
  }
  return [...members]
    .sort(([a], [b]) => (a === '' ? 1 : 0) - (b === '' ? 1 : 0) || naturalCompare(a, b))
    .map(([name, m]) => layRoom(name, m.from, [...m.hosts].sort(naturalCompare), seats))
}

// m5-07 → m5, pc12 → pc, m5-07.campus.example → m5; an address, or a name that does not end in a
// number after some letters, has no stem.
export function nameStem(host: string): string | undefined {
  if (/^[\d.]+$/.test(host) || host.includes(':')) return undefined
  const stem = /^(.*?)[-_]?\d+$/.exec(host.split('.')[0]!)?.[1]
  return stem !== undefined && /[a-z]/i.test(stem) ? stem : undefined
}

// How many columns a room without seat positions gets: a little wider than tall, as rooms and screens are.
export function autoCols(seats: number): number {
  return Math.max(1, Math.min(seats, Math.ceil(Math.sqrt(seats * 1.2))))
}

function layRoom(name: string, from: RoomSource, hosts: string[], seats: Map<string, SeatVars>): Room {
  const problems: string[] = []
  const taken = new Map<string, string>()
  const placed: Seat[] = []
  const rest: string[] = []
  for (const host of hosts) {
    const position = seats.get(host)?.position
    const at = position && parsePosition(position.value)
    const holder = at && taken.get(`${at.row},${at.col}`)
    if (position && (!at || holder)) {
      const why = at ? `${SEAT_POSITION} "${at.row},${at.col}" is ${holder}'s too` : `${SEAT_POSITION}: expected "row,col" (whole numbers 1 to ${MAX_GRID}), got ${shown(position.value)}`
      problems.push(new InputError(`${host}: ${why}; placed by name instead`, position.place).format())
    }
    if (!at || holder) {
      rest.push(host)
      continue
    }
    taken.set(`${at.row},${at.col}`, host)
    placed.push({ host, ...at, positioned: true })
  }
  const top = Math.max(0, ...placed.map((s) => s.row))
  const cols = Math.max(...placed.map((s) => s.col), rest.length ? autoCols(rest.length) : 1)
  const after = rest.map((host, i): Seat => ({ host, row: top + 1 + Math.floor(i / cols), col: 1 + (i % cols), positioned: false }))
  const all = [...placed, ...after].sort((a, b) => naturalCompare(a.host, b.host))
  return { name, from, rows: Math.max(0, ...all.map((s) => s.row)), cols, seats: all, problems }
}

// "3,2" (spaces allowed) or a list [3, 2]: row then column, each 1 to MAX_GRID.
function parsePosition(value: unknown): { row: number; col: number } | undefined {
  const pair = typeof value === 'string' ? /^\s*(\d+)\s*,\s*(\d+)\s*$/.exec(value)?.slice(1).map(Number) : Array.isArray(value) ? value : undefined
  if (!pair || pair.length !== 2) return undefined
  const [row, col] = pair as unknown[]
  const ok = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= MAX_GRID
  return ok(row) && ok(col) ? { row, col } : undefined
}

// A bad value as the page names it: short text quoted, anything else by its kind (never a secret's text).
function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (Array.isArray(value)) return `a list of ${value.length}`
  return value instanceof Vaulted ? 'an encrypted value' : 'a mapping'
}
