import { createHash, randomBytes } from 'node:crypto'

// MD4 (RFC 1320), written out because node's OpenSSL 3 leaves it in the legacy provider (createHash('md4') throws).
export function md4(message: Buffer): Buffer {
  const padded = Buffer.alloc((((message.length + 8) >> 6) + 1) << 6)
  message.copy(padded)
  padded[message.length] = 0x80
  padded.writeUInt32LE((message.length * 8) >>> 0, padded.length - 8)
  padded.writeUInt32LE(Math.floor(message.length / 0x20000000), padded.length - 4)

  const rotl = (x: number, n: number) => (x << n) | (x >>> (32 - n))
  const f = (x: number, y: number, z: number) => (x & y) | (~x & z)
  const g = (x: number, y: number, z: number) => (x & y) | (x & z) | (y & z)
  const h = (x: number, y: number, z: number) => x ^ y ^ z
  let [a, b, c, d] = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476]
  const x = new Array<number>(16)
  for (let block = 0; block < padded.length; block += 64) {
    for (let i = 0; i < 16; i++) x[i] = padded.readUInt32LE(block + 4 * i)
    const [aa, bb, cc, dd] = [a, b, c, d]
    for (const i of [0, 4, 8, 12]) {
      a = rotl(a + f(b, c, d) + x[i]!, 3)
      d = rotl(d + f(a, b, c) + x[i + 1]!, 7)
      c = rotl(c + f(d, a, b) + x[i + 2]!, 11)
      b = rotl(b + f(c, d, a) + x[i + 3]!, 19)
    }
    for (const i of [0, 1, 2, 3]) {
      a = rotl(a + g(b, c, d) + x[i]! + 0x5a827999, 3)
      d = rotl(d + g(a, b, c) + x[i + 4]! + 0x5a827999, 5)
      c = rotl(c + g(d, a, b) + x[i + 8]! + 0x5a827999, 9)
      b = rotl(b + g(c, d, a) + x[i + 12]! + 0x5a827999, 13)
    }
    for (const i of [0, 2, 1, 3]) {
      a = rotl(a + h(b, c, d) + x[i]! + 0x6ed9eba1, 3)
      d = rotl(d + h(a, b, c) + x[i + 8]! + 0x6ed9eba1, 9)
      c = rotl(c + h(d, a, b) + x[i + 4]! + 0x6ed9eba1, 11)
      b = rotl(b + h(c, d, a) + x[i + 12]! + 0x6ed9eba1, 15)
    }
    a = (a + aa) >>> 0
    b = (b + bb) >>> 0
    c = (c + cc) >>> 0
    d = (d + dd) >>> 0
  }
  const out = Buffer.alloc(16)
  ;[a, b, c, d].forEach((word, i) => out.writeUInt32LE(word, 4 * i))
  return out
}

// What Samba stores as sambaNTPassword: MD4 of the password in UTF-16LE, 32 uppercase hex digits.
export function ntHash(password: string): string {
  return md4(Buffer.from(password, 'utf16le')).toString('hex').toUpperCase()
}

// An OpenLDAP {SSHA} userPassword (salted SHA-1), so the campus password also works for LDAP binds.
export function sshaPassword(password: string, salt: Buffer = randomBytes(8)): string {
  const digest = createHash('sha1').update(password).update(salt).digest()
  return `{SSHA}${Buffer.concat([digest, salt]).toString('base64')}`
}
