import type { NetInterface } from 'labplay'

export function isIPv4(text: string): boolean {
  const parts = text.split('.')
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)
}

function toInt(address: string): number {
  return address.split('.').reduce((n, p) => n * 256 + Number(p), 0)
}

// The interface whose IPv4 subnet holds `address` (the receivers' side of the rendezvous).
export function interfaceFor(interfaces: NetInterface[], address: string): string | undefined {
  if (!isIPv4(address)) return undefined
  const target = toInt(address)
  for (const iface of interfaces) {
    for (const cidr of iface.addresses) {
      const [ip, bits] = cidr.split('/')
      const prefix = Number(bits)
      if (!ip || !isIPv4(ip) || !Number.isInteger(prefix) || prefix < 1 || prefix > 32) continue
      const mask = prefix === 32 ? 0xffffffff : ((0xffffffff << (32 - prefix)) >>> 0)
      if (((toInt(ip) & mask) >>> 0) === ((target & mask) >>> 0)) return iface.name
    }
  }
  return undefined
}

// `ip -o route get A`: "10.250.2.11 dev br0 src 10.250.2.1 uid 0 \    cache".
export function parseRoute(out: string): { dev?: string; src?: string } {
  const dev = /\bdev (\S+)/.exec(out)?.[1]
  const src = /\bsrc (\S+)/.exec(out)?.[1]
  return { ...(dev && { dev }), ...(src && { src }) }
}

// `getent ahostsv4 NAME | head -n 1`: "10.0.0.5  STREAM name".
export function parseGetent(out: string): string | undefined {
  const first = out.trim().split(/\s+/)[0]
  return first && isIPv4(first) ? first : undefined
}
