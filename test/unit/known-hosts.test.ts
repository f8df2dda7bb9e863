import test from 'ava'
import { execFileSync } from 'node:child_process'
import { createHmac, randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { checkHostKey, hostKeyAlgorithms } from '../../src/connection/known-hosts.ts'
import {
  blobKeyType,
  fingerprint,
  hostFieldMatches,
  knownKeyTypes,
  lookupHostKey,
  parseKnownHosts,
} from '../../src/connection/known-hosts-match.ts'
import type { HostKeyVerdict } from '../../src/connection/known-hosts-match.ts'

const dir = mkdtempSync(join(tmpdir(), 'labplay-known-hosts-'))
test.after.always(() => rmSync(dir, { recursive: true, force: true }))

// Real keys from ssh-keygen: "type base64" and the raw blob ssh2 hands to hostVerifier.
function makeKey(type: string, name: string): { line: string; blob: Buffer } {
  const file = join(dir, name)
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', file])
  const line = readFileSync(`${file}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')
  return { line, blob: Buffer.from(line.split(' ')[1]!, 'base64') }
}
const ed = makeKey('ed25519', 'ed')
const ed2 = makeKey('ed25519', 'ed2')
const ecdsa = makeKey('ecdsa', 'ecdsa')

function hashed(name: string, salt = randomBytes(20)): string {
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`
}

test('parse: comments, blank, markers and malformed lines', (t) => {
  const text = [
    '# comment',
    '',
    `lab1 ${ed.line} root@admin`,
    `@revoked * ${ed2.line}`,
    `@cert-authority *.lab ${ecdsa.line}`,
    '@unknown-marker lab1 ssh-ed25519 AAAA',
    'lab2 ssh-ed25519',
    'lab3 ssh-ed25519 not*base64',
    `   lab4,lab5\t${ecdsa.line}   `,
  ].join('\n')
  const entries = parseKnownHosts(text)
  t.deepEqual(
    entries.map((e) => [e.line, e.marker, e.hosts, e.keyType]),
    [
      [3, undefined, 'lab1', 'ssh-ed25519'],
      [4, 'revoked', '*', 'ssh-ed25519'],
      [5, 'cert-authority', '*.lab', 'ecdsa-sha2-nistp256'],
      [9, undefined, 'lab4,lab5', 'ecdsa-sha2-nistp256'],
    ],
  )
  t.true(entries[0]!.key.equals(ed.blob))
})

// [host field, name looked up, expected]
const fieldCases: Array<[string, string, boolean]> = [
  ['m5-01', 'm5-01', true],
  ['M5-01', 'm5-01', true],
  ['m5-01', 'm5-02', false],
  ['m5-01,10.0.5.1', '10.0.5.1', true],
  ['m5-01,10.0.5.1', '10.0.5.10', false],
  ['m5-*', 'm5-17', true],
  ['m5-?', 'm5-17', false],
  ['m5-??', 'm5-17', true],
  ['m5-*,!m5-13', 'm5-13', false],
  ['!m5-13,m5-*', 'm5-12', true],
  ['!m5-13', 'm5-12', false],
  ['10.0.5.*', '10.0.5.7', true],
  ['10.0.5.*', '10.0.50', false],
  ['[10.0.5.1]:2222', '[10.0.5.1]:2222', true],
  ['[10.0.5.1]:2222', '10.0.5.1', false],
  ['10.0.5.1', '[10.0.5.1]:2222', false],
  ['[10.0.5.*]:2222', '[10.0.5.9]:2222', true],
  [hashed('m5-01'), 'm5-01', true],
  [hashed('m5-01'), 'm5-02', false],
  [hashed('[m5-01]:2222'), '[m5-01]:2222', true],
  ['|1|broken', 'm5-01', false],
]
for (const [field, name, expected] of fieldCases) {
  const label = field.startsWith('|1|') && field.length > 20 ? 'hashed entry' : field
  test(`host field ${label} ${expected ? 'matches' : 'does not match'} ${name}`, (t) => {
    t.is(hostFieldMatches(field, name), expected)
  })
}

test('hashed entries written by ssh-keygen -H match where ssh-keygen -F finds them', (t) => {
  const file = join(dir, 'hashed')
  writeFileSync(file, `m5-01,10.0.5.1 ${ed.line}\n[m5-02]:2222 ${ecdsa.line}\nm5-03 ${ed2.line}\n`)
  execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' })
  const entries = parseKnownHosts(readFileSync(file, 'utf8'))
  t.true(entries.every((e) => e.hosts.startsWith('|1|')))
  const probes: Array<[string, number, Buffer]> = [
    ['m5-01', 22, ed.blob],
    ['10.0.5.1', 22, ed.blob],
    ['m5-02', 2222, ecdsa.blob],
    ['m5-03', 22, ed2.blob],
  ]
  for (const [host, port, blob] of probes) {
    const query = port === 22 ? host : `[${host}]:${port}`
    const found = execFileSync('ssh-keygen', ['-F', query, '-f', file]).toString()
    const line = Number(/found: line (\d+)/.exec(found)![1])
    t.deepEqual(lookupHostKey(entries, host, port, blob), { status: 'ok', line }, query)
  }
  t.deepEqual(lookupHostKey(entries, 'm5-02', 22, ecdsa.blob), { status: 'new' })
})

const known = [
  '# lab m5',
  `m5-01,10.0.5.1 ${ed.line}`,
  `m5-01 ${ecdsa.line}`,
  `[m5-02]:2222 ${ed.line}`,
  `m5-03 ${ecdsa.line}`,
  `@revoked * ${ed2.line}`,
  `@cert-authority * ${ed2.line}`,
  `m5-05 ${ed.line}`,
].join('\n')

const lookupCases: Array<[string, string, number, Buffer, HostKeyVerdict]> = [
  ['known key', 'm5-01', 22, ed.blob, { status: 'ok', line: 2 }],
  ['second key type of a host', 'm5-01', 22, ecdsa.blob, { status: 'ok', line: 3 }],
  ['by address in a host list', '10.0.5.1', 22, ed.blob, { status: 'ok', line: 2 }],
  ['non-standard port uses [host]:port', 'm5-02', 2222, ed.blob, { status: 'ok', line: 4 }],
  ['port 22 entry does not cover another port', 'm5-01', 2222, ed.blob, { status: 'new' }],
  ['unknown host', 'm5-04', 22, ed.blob, { status: 'new' }],
  ['same type, other key: changed', 'm5-05', 22, makeKey('ed25519', 'ed3').blob, { status: 'changed', line: 8, knownType: 'ssh-ed25519' }],
  ['other type than the known one: changed', 'm5-03', 22, ed.blob, { status: 'changed', line: 5, knownType: 'ecdsa-sha2-nistp256' }],
  ['revoked key refuses even for an unknown host', 'm5-09', 22, ed2.blob, { status: 'revoked', line: 6 }],
  ['cert-authority lines are not host keys', 'm5-09', 22, ecdsa.blob, { status: 'new' }],
]
for (const [title, host, port, blob, expected] of lookupCases) {
  test(`lookup: ${title}`, (t) => {
    t.deepEqual(lookupHostKey(parseKnownHosts(known), host, port, blob), expected)
  })
}

test('key type and fingerprint come from the blob as OpenSSH shows them', (t) => {
  t.is(blobKeyType(ecdsa.blob), 'ecdsa-sha2-nistp256')
  const listed = execFileSync('ssh-keygen', ['-l', '-f', join(dir, 'ed.pub')]).toString()
  t.is(listed.split(' ')[1], fingerprint(ed.blob))
})

test('known key types put first in the handshake', async (t) => {
  const file = join(dir, 'algorithms')
  writeFileSync(file, known)
  t.deepEqual(knownKeyTypes(parseKnownHosts(known), 'm5-01', 22), ['ssh-ed25519', 'ecdsa-sha2-nistp256'])
  t.deepEqual((await hostKeyAlgorithms(file, 'm5-03', 22))!.slice(0, 2), ['ecdsa-sha2-nistp256', 'ssh-ed25519'])
  t.is(await hostKeyAlgorithms(file, 'm5-04', 22), undefined)
  t.is(await hostKeyAlgorithms(join(dir, 'missing'), 'm5-01', 22), undefined)
})

test('checkHostKey: accept-new records [host]:port in a file it creates', async (t) => {
  const file = join(dir, 'fresh', 'sub', 'known_hosts')
  t.deepEqual(await checkHostKey(file, '10.0.5.7', 2222, ed.blob, 'accept-new'), { accepted: true, recorded: true })
  t.is(readFileSync(file, 'utf8'), `[10.0.5.7]:2222 ${ed.line}\n`)
  t.deepEqual(await checkHostKey(file, '10.0.5.7', 2222, ed.blob, 'strict'), { accepted: true, recorded: false })
  const found = execFileSync('ssh-keygen', ['-F', '[10.0.5.7]:2222', '-f', file]).toString()
  t.regex(found, /found: line 1/)
})

test('checkHostKey: parallel accept-new appends stay whole lines, one per host', async (t) => {
  const file = join(dir, 'parallel')
  writeFileSync(file, `# no trailing newline`)
  const hosts = Array.from({ length: 40 }, (_, i) => `m5-${String(i + 1).padStart(2, '0')}`)
  const results = await Promise.all([...hosts, ...hosts].map((h) => checkHostKey(file, h, 22, ed.blob, 'accept-new')))
  t.true(results.every((r) => r.accepted))
  t.is(results.filter((r) => r.accepted && r.recorded).length, 40)
  const lines = readFileSync(file, 'utf8').split('\n')
  t.is(lines[0], '# no trailing newline')
  t.deepEqual(lines.slice(1, -1).sort(), hosts.map((h) => `${h} ${ed.line}`).sort())
  t.is(lines.at(-1), '')
})

test('checkHostKey: refusals name the file and line, off accepts silently', async (t) => {
  const file = join(dir, 'refusals')
  writeFileSync(file, known)
  const revoked = await checkHostKey(file, 'm5-05', 22, ed2.blob, 'accept-new')
  t.false(revoked.accepted)
  t.regex(revoked.accepted ? '' : revoked.reason, /^the ssh-ed25519 key SHA256:\S+ of m5-05 is marked @revoked in .*refusals:6$/)
  const other = await checkHostKey(file, 'm5-03', 22, ed.blob, 'accept-new')
  t.regex(other.accepted ? '' : other.reason, /REMOTE HOST IDENTIFICATION HAS CHANGED for m5-03: .* ecdsa-sha2-nistp256 key in .*refusals:5\. .*ssh-keygen -R 'm5-03' -f /)
  const unknown = await checkHostKey(file, 'm5-04', 2222, ed.blob, 'strict')
  t.regex(unknown.accepted ? '' : unknown.reason, /^host key of m5-04:2222 is not known \(ssh-ed25519 key SHA256:.*\) and host key checking is strict/)
  t.deepEqual(await checkHostKey(file, 'm5-03', 22, ed.blob, 'off'), { accepted: true, recorded: false })
  t.is(readFileSync(file, 'utf8'), known, 'nothing was recorded')
})
