import test from 'ava'
import { spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { md4, ntHash, sshaPassword } from '../lab/nt-hash.ts'

// The lab directory computes the students' sambaNTPassword itself: MD4 must be exact, on every length.

// RFC 1320, appendix A.5.
for (const [input, digest] of [
  ['', '31d6cfe0d16ae931b73c59d7e0c089c0'],
  ['a', 'bde52cb31de33e46245e05fbdbd6fb24'],
  ['abc', 'a448017aaf21d8525fc10ae87aa6729d'],
  ['message digest', 'd9130a8164549fe818874806e1c7014b'],
  ['abcdefghijklmnopqrstuvwxyz', 'd79e1c308aa5bbcdeea8ed63df412da9'],
  ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', '043f8582f241db351ce627e153e7f0e4'],
  ['1234567890'.repeat(8), 'e33b4ddc9c38f2199c3e7b164fcc0536'],
]) {
  test(`MD4 of ${JSON.stringify(input).slice(0, 30)} is RFC 1320's`, (t) => {
    t.is(md4(Buffer.from(input!)).toString('hex'), digest)
  })
}

test('MD4 agrees with OpenSSL (legacy provider) around every block boundary', (t) => {
  for (const length of [55, 56, 57, 63, 64, 65, 119, 120, 128, 1000]) {
    const data = randomBytes(length)
    const openssl = spawnSync('openssl', ['dgst', '-md4', '-provider', 'legacy', '-provider', 'default', '-r'], { input: data, encoding: 'utf8' })
    t.is(openssl.status, 0, openssl.stderr)
    t.is(md4(data).toString('hex'), openssl.stdout.split(' ')[0], `${length} bytes`)
  }
})

test('the NT hash is MD4 of UTF-16LE, upper-case hex: the well-known one of "password"', (t) => {
  t.is(ntHash('password'), '8846F7EAEE8FB117AD06BDD830B7586C')
  t.is(ntHash(''), '31D6CFE0D16AE931B73C59D7E0C089C0')
})

test('the NT hash of a password beyond ASCII encodes it as iconv does (surrogate pairs included)', (t) => {
  const password = 'Pässwörd-€-😀'
  const utf16 = spawnSync('iconv', ['-f', 'UTF-8', '-t', 'UTF-16LE'], { input: password })
  t.is(utf16.status, 0)
  t.is(ntHash(password), md4(utf16.stdout).toString('hex').toUpperCase())
})

test('{SSHA} is SHA-1 of the password then the salt, the salt appended, base64', (t) => {
  const salt = Buffer.from('0123456789abcdef', 'hex')
  const value = sshaPassword('secret', salt)
  const raw = Buffer.from(value.slice('{SSHA}'.length), 'base64')
  t.deepEqual(raw.subarray(20), salt)
  t.deepEqual(raw.subarray(0, 20), createHash('sha1').update('secret').update(salt).digest())
  t.not(sshaPassword('secret'), sshaPassword('secret'), 'a random salt each time')
})
