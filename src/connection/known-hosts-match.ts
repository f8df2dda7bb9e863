import { createHash, createHmac } from 'node:crypto'

// One key line of a known_hosts file.
export interface KnownHostEntry {
  line: number
  marker: 'revoked' | 'cert-authority' | undefined
  // The host field as written: a pattern list or one hashed |1|salt|hmac name.
  hosts: string
  keyType: string
  key: Buffer
}

// What known_hosts says about the key a server presented (OpenSSH's HOST_OK / NEW / CHANGED / REVOKED).
export type HostKeyVerdict =
  | { status: 'ok'; line: number }
  | { status: 'new' }
  | { status: 'changed'; line: number; knownType: string }
  | { status: 'revoked'; line: number }

// Key lines in file order; comments, blank and malformed lines are skipped as OpenSSH does.
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = []
  text.split('\n').forEach((raw, index) => {
    const fields = raw.trim().split(/\s+/)
    if (fields[0] === '' || fields[0]!.startsWith('#')) return
    const marker = fields[0] === '@revoked' ? 'revoked' : fields[0] === '@cert-authority' ? 'cert-authority' : undefined
    if (marker) fields.shift()
    else if (fields[0]!.startsWith('@')) return
    const [hosts, keyType, base64] = fields
    if (!hosts || !keyType || !base64 || !/^[A-Za-z0-9+/]+=*$/.test(base64)) return
    entries.push({ line: index + 1, marker, hosts, keyType, key: Buffer.from(base64, 'base64') })
  })
  return entries
}

// The name known_hosts stores a host under: the address, bracketed with the port when it is not 22.
export function knownHostsName(host: string, port: number): string {
  const name = host.toLowerCase()
  return port === 22 ? name : `[${name}]:${port}`
}

// Whether a host field names this host: hashed names by HMAC-SHA1, lists by OpenSSH's pattern rules.
export function hostFieldMatches(field: string, name: string): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt, hmac] = field.split('|')
    if (!salt || !hmac) return false
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hmac
  }
  let matched = false
  for (const pattern of field.toLowerCase().split(',')) {
    const negated = pattern.startsWith('!')
    if (!wildcard(negated ? pattern.slice(1) : pattern).test(name)) continue
    if (negated) return false
    matched = true
  }
  return matched
}

function wildcard(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.')
  return new RegExp(`^${body}$`)
}

// The key type written inside a raw SSH public key blob (its first length-prefixed string).
export function blobKeyType(key: Buffer): string {
  if (key.length < 4) return 'unknown'
  return key.subarray(4, 4 + key.readUInt32BE(0)).toString('latin1')
}

// OpenSSH's SHA256:… fingerprint, for messages the user can compare with ssh-keygen -l.
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`
}

// OpenSSH's verdict: a revoked key refuses; an equal key is ok; any other key known for the host
// (same type first) means the key changed; no key for the host means new.
export function lookupHostKey(entries: readonly KnownHostEntry[], host: string, port: number, key: Buffer): HostKeyVerdict {
  const name = knownHostsName(host, port)
  const forHost = entries.filter((e) => e.marker !== 'cert-authority' && hostFieldMatches(e.hosts, name))
  const revoked = forHost.find((e) => e.marker === 'revoked' && e.key.equals(key))
  if (revoked) return { status: 'revoked', line: revoked.line }
  const plain = forHost.filter((e) => e.marker === undefined)
  const same = plain.find((e) => e.key.equals(key))
  if (same) return { status: 'ok', line: same.line }
  const type = blobKeyType(key)
  const old = plain.find((e) => e.keyType === type) ?? plain[0]
  return old ? { status: 'changed', line: old.line, knownType: old.keyType } : { status: 'new' }
}

// Key types already known for a host, so the handshake asks for one of those first (as OpenSSH does).
export function knownKeyTypes(entries: readonly KnownHostEntry[], host: string, port: number): string[] {
  const name = knownHostsName(host, port)
  const types = entries.filter((e) => e.marker === undefined && hostFieldMatches(e.hosts, name)).map((e) => e.keyType)
  return [...new Set(types)]
}
