import { bool, imageFile, readImageManifest, VarError, type ImageManifest, type Vars } from 'labplay'

// The role's variables, checked and typed once per host.
export interface Settings {
  manifest: ImageManifest
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

// Reads and checks the manifest and the udpcast_* variables; throws a VarError saying what was expected (the task
// that reads them fails with it).
export function readSettings(vars: Vars): Settings {
  const { image, problems } = readImageManifest(vars)
  if (!image) throw new VarError(problems.join('; '))
  if (image.manifest.source === '') throw new VarError('image.source: expected an absolute path on the sender, got ""')
  const final = imageFile(image)
  const maxBitrate = text(vars.udpcast_max_bitrate, 'udpcast_max_bitrate').toLowerCase()
  const portbase = whole(vars.udpcast_portbase, 'udpcast_portbase', 1024, 65534)
  if (portbase % 2 !== 0) throw new VarError(`udpcast_portbase: expected an even port (udpcast uses it and the next one), got ${portbase}`)
  const portPairs = whole(vars.udpcast_port_pairs, 'udpcast_port_pairs', 2, 1000)
  if (portbase + 2 * portPairs > 65536) throw new VarError(`udpcast_port_pairs: the room's ports ${portbase}-${portbase + 2 * portPairs - 1} go past 65535`)
  const startTimeoutS = whole(vars.udpcast_start_timeout_s, 'udpcast_start_timeout_s', 1)
  const maxWaitS = whole(vars.udpcast_max_wait_s, 'udpcast_max_wait_s', 0)
  if (maxWaitS >= startTimeoutS) throw new VarError(`udpcast_max_wait_s (${maxWaitS}) must be below udpcast_start_timeout_s (${startTimeoutS}): the receivers give up after the start timeout`)
  return {
    manifest: image.manifest,
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
    unicastSingle: bool(vars.udpcast_unicast_single, 'udpcast_unicast_single'),
  }
}

// udpcast's bitrate syntax: bits per second, or with a `k` or `m` suffix.
export function bitrate(value: string): number {
  const m = /^([1-9][0-9]*)([km]?)$/.exec(value)
  if (!m) throw new VarError(`udpcast_max_bitrate: expected bits per second such as 600m, 50000k or 100000000, got ${show(value)}`)
  return Number(m[1]) * (m[2] === 'm' ? 1e6 : m[2] === 'k' ? 1e3 : 1)
}

// The longest one round (rendezvous, transfer at the capped rate thrice over, stragglers) may last.
export function roundTimeoutMs(s: Settings): number {
  const transferS = (s.manifest.size * 8) / s.bitsPerSecond
  return Math.ceil(s.startTimeoutS + s.maxWaitS + 3 * transferS + s.receiveTimeoutS + 30) * 1000
}

function text(value: unknown, key: string, empty = false): string {
  if (typeof value === 'number') value = String(value)
  if (typeof value !== 'string' || (!empty && value === '')) throw new VarError(`${key}: expected a string, got ${show(value)}`)
  return value
}

function whole(value: unknown, key: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new VarError(`${key}: expected a whole number ${max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`}, got ${show(value)}`)
  }
  return n
}

function show(value: unknown): string {
  const s = JSON.stringify(value) ?? String(value)
  return s.length > 80 ? `${s.slice(0, 77)}...` : s
}
