import type { ImageManifest, Vars } from 'labplay'

export type Manifest = ImageManifest

// The role's variables, checked and typed once per host.
export interface Settings {
  manifest: Manifest
  // `{{images_dir}}/{{name}}-{{version}}.qcow2`: the file every host must end with.
  final: string
  // Where bytes land before they are verified; beside `final` so the rename is atomic.
  part: string
  senderHost: string
  // The room's ports: portbase … portbase + 2 × portPairs − 1; each round draws a pair (ports.ts).
  portbase: number
  portPairs: number
  maxBitrate: string
  bitsPerSecond: number
  startTimeoutS: number
  receiveTimeoutS: number
  maxWaitS: number
  retriesUntilDrop: number
  unicastSingle: boolean
}

const NAME = /^[A-Za-z0-9._-]+$/

// Reads and checks the manifest and the udpcast_* variables; throws an Error saying what was expected.
export function readSettings(vars: Vars): Settings {
  const image = vars.image
  if (typeof image !== 'object' || image === null || Array.isArray(image)) throw new Error(`image: expected the manifest (name, version, size, sha256, source), got ${show(image)}`)
  const m = image as Record<string, unknown>
  const name = text(m.name, 'image.name')
  const version = text(m.version, 'image.version')
  for (const [key, value] of [['image.name', name], ['image.version', version]] as const) {
    if (!NAME.test(value) || value === '.' || value === '..') throw new Error(`${key}: expected letters, digits, '.', '_' or '-', got ${show(value)}`)
  }
  const sha256 = text(m.sha256, 'image.sha256').toLowerCase()
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`image.sha256: expected 64 hex digits, got ${show(m.sha256)}`)
  const size = whole(m.size, 'image.size', 1)
  const source = absolute(m.source, 'image.source')
  const imagesDir = absolute(vars.images_dir, 'images_dir').replace(/\/+$/, '') || '/'
  const final = `${imagesDir === '/' ? '' : imagesDir}/${name}-${version}.qcow2`
  const maxBitrate = text(vars.udpcast_max_bitrate, 'udpcast_max_bitrate').toLowerCase()
  const portbase = whole(vars.udpcast_portbase, 'udpcast_portbase', 1024, 65534)
  if (portbase % 2 !== 0) throw new Error(`udpcast_portbase: expected an even port (udpcast uses it and the next one), got ${portbase}`)
  const portPairs = whole(vars.udpcast_port_pairs, 'udpcast_port_pairs', 2, 1000)
  if (portbase + 2 * portPairs > 65536) throw new Error(`udpcast_port_pairs: the room's ports ${portbase}-${portbase + 2 * portPairs - 1} go past 65535`)
  const startTimeoutS = whole(vars.udpcast_start_timeout_s, 'udpcast_start_timeout_s', 1)
  const maxWaitS = whole(vars.udpcast_max_wait_s, 'udpcast_max_wait_s', 0)
  if (maxWaitS >= startTimeoutS) throw new Error(`udpcast_max_wait_s (${maxWaitS}) must be below udpcast_start_timeout_s (${startTimeoutS}): the receivers give up after the start timeout`)
  return {
    manifest: { name, version, size, sha256, source },
    final,
    part: `${final}.part`,
    senderHost: vars.udpcast_sender_host === undefined || vars.udpcast_sender_host === null ? '' : text(vars.udpcast_sender_host, 'udpcast_sender_host', true),
    portbase,
    portPairs,
    maxBitrate,
    bitsPerSecond: bitrate(maxBitrate),
    startTimeoutS,
    receiveTimeoutS: whole(vars.udpcast_receive_timeout_s, 'udpcast_receive_timeout_s', 1),
    maxWaitS,
    retriesUntilDrop: whole(vars.udpcast_retries_until_drop, 'udpcast_retries_until_drop', 1),
    unicastSingle: flag(vars.udpcast_unicast_single, 'udpcast_unicast_single'),
  }
}

// udpcast's bitrate syntax: bits per second, or with a `k` or `m` suffix.
export function bitrate(value: string): number {
  const m = /^([1-9][0-9]*)([km]?)$/.exec(value)
  if (!m) throw new Error(`udpcast_max_bitrate: expected bits per second such as 600m, 50000k or 100000000, got ${show(value)}`)
  return Number(m[1]) * (m[2] === 'm' ? 1e6 : m[2] === 'k' ? 1e3 : 1)
}

// The longest one round (rendezvous, transfer at the capped rate thrice over, stragglers) may last.
export function roundTimeoutMs(s: Settings): number {
  const transferS = (s.manifest.size * 8) / s.bitsPerSecond
  return Math.ceil(s.startTimeoutS + s.maxWaitS + 3 * transferS + s.receiveTimeoutS + 30) * 1000
}

function text(value: unknown, key: string, empty = false): string {
  if (typeof value === 'number') value = String(value)
  if (typeof value !== 'string' || (!empty && value === '')) throw new Error(`${key}: expected a string, got ${show(value)}`)
  return value
}

function whole(value: unknown, key: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new Error(`${key}: expected a whole number ${max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`}, got ${show(value)}`)
  }
  return n
}

function absolute(value: unknown, key: string): string {
  const path = text(value, key)
  if (!path.startsWith('/') || path.includes('\n')) throw new Error(`${key}: expected an absolute path, got ${show(value)}`)
  return path
}

// -e k=v gives strings: yes/no/true/false are read as Ansible reads them.
function flag(value: unknown, key: string): boolean {
  if (typeof value === 'boolean') return value
  const t = typeof value === 'string' ? value.trim().toLowerCase() : ''
  if (['true', 'yes', 'on', '1'].includes(t)) return true
  if (['false', 'no', 'off', '0'].includes(t)) return false
  throw new Error(`${key}: expected true or false, got ${show(value)}`)
}

function show(value: unknown): string {
  const s = JSON.stringify(value) ?? String(value)
  return s.length > 80 ? `${s.slice(0, 77)}...` : s
}
