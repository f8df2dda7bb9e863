import { randomInt } from 'node:crypto'
import type { Settings } from './settings.ts'

// The even port a multicast round uses (with the next one), drawn at random from the room's range
// (udpcast_portbase … udpcast_portbase + 2 × udpcast_port_pairs − 1), never the previous round's: a
// sender planted on a seat cannot wait on "the room's port", and a round it spoiled moves elsewhere.
export function freshPortbase(s: Pick<Settings, 'portbase' | 'portPairs'>, previous?: number): number {
  const pairs = Array.from({ length: s.portPairs }, (_, i) => s.portbase + 2 * i).filter((p) => p !== previous)
  return pairs[randomInt(pairs.length)]!
}
