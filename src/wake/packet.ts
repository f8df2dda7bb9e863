import { createSocket } from 'node:dgram'
import { isIPv4 } from 'node:net'
import { InputError } from '../errors.ts'
import type { Vars } from '../vars.ts'

// Where magic packets go when the inventory says nothing: the limited broadcast, and the "discard"
// port that most Wake-on-LAN tools use (the NIC looks at the payload, not at the port).
export const DEFAULT_BROADCAST = '255.255.255.255'
export const DEFAULT_WOL_PORT = 9
// Magic packets are fire-and-forget UDP: each one goes out this many times, this far apart.
export const SEND_REPEAT = 3
export const SEND_GAP_MS = 100

// Where one host's magic packets are sent (per-host inventory vars wol_broadcast, wol_port).
export interface WolDestination {
  broadcast: string
  port: number
}

// A MAC as the run record and the user write it (aa:bb:cc:dd:ee:ff or aa-bb-…, any case) → its
// 6 bytes; anything else is an InputError, since a wrong MAC wakes nobody and says nothing.
export function parseMac(mac: string): Buffer {
  const m = typeof mac === 'string' ? /^([0-9a-f]{2})([:-])([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})$/i.exec(mac.trim()) : null
  if (!m) throw new InputError(`MAC address '${String(mac)}': expected six hex pairs such as aa:bb:cc:dd:ee:ff`)
  return Buffer.from([m[1], m[3], m[4], m[5], m[6], m[7]].join(''), 'hex')
}

// The Wake-on-LAN magic packet a sleeping NIC looks for: 6 × 0xFF, then its MAC 16 times (102 bytes).
export function magicPacket(mac: string): Buffer {
  const bytes = parseMac(mac)
  return Buffer.concat([Buffer.alloc(6, 0xff), ...Array.from({ length: 16 }, () => bytes)])
}

// The host's wol_broadcast / wol_port, checked before any packet leaves (bad input: exit 5).
export function wolDestination(host: string, vars: Vars): WolDestination {
  const rawBroadcast = vars.wol_broadcast ?? DEFAULT_BROADCAST
  const broadcast = typeof rawBroadcast === 'string' ? rawBroadcast.trim() : ''
  if (!isIPv4(broadcast)) {
    throw new InputError(`host ${host}: wol_broadcast '${String(rawBroadcast)}': expected an IPv4 broadcast address such as 192.168.5.255`)
  }
  const rawPort = vars.wol_port ?? DEFAULT_WOL_PORT
  const port = typeof rawPort === 'number' || (typeof rawPort === 'string' && /^\s*\d+\s*$/.test(rawPort)) ? Number(rawPort) : NaN
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new InputError(`host ${host}: wol_port '${String(rawPort)}': expected a UDP port number from 1 to 65535`)
  }
  return { broadcast, port }
}

// Sends every packet to `to` (broadcast allowed), all of them `repeat` times `gapMs` apart: one lost
// datagram must not leave a machine off. Rejects on a socket error (no route, permission).
export async function sendPackets(packets: Buffer[], to: WolDestination, opts: { repeat?: number; gapMs?: number } = {}): Promise<void> {
  const repeat = opts.repeat ?? SEND_REPEAT
  const gapMs = opts.gapMs ?? SEND_GAP_MS
  const socket = createSocket('udp4')
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject)
      socket.bind(0, () => {
        socket.off('error', reject)
        resolve()
      })
    })
    socket.setBroadcast(true)
    for (let round = 0; round < repeat; round++) {
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, gapMs))
      for (const packet of packets) {
        await new Promise<void>((resolve, reject) => socket.send(packet, to.port, to.broadcast, (err) => (err ? reject(err) : resolve())))
      }
    }
  } finally {
    socket.close()
  }
}
