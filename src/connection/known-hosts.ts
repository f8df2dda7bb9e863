import { appendFile, mkdir, readFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { shQuote } from './bash.ts'
import { withFileLock } from './file-lock.ts'
import { blobKeyType, fingerprint, knownHostsName, knownKeyTypes, lookupHostKey, parseKnownHosts } from './known-hosts-match.ts'
import type { HostKeyVerdict } from './known-hosts-match.ts'
import type { HostKeyChecking } from './types.ts'

// Whether to go on with a server's host key; refusals carry the message the user sees.
export type HostKeyCheck = { accepted: true; recorded: boolean } | { accepted: false; reason: string }

// Verifies a presented key against known_hosts under a mode; accept-new records unknown hosts.
export async function checkHostKey(
  file: string,
  host: string,
  port: number,
  key: Buffer,
  mode: HostKeyChecking,
): Promise<HostKeyCheck> {
  if (mode === 'off') return { accepted: true, recorded: false }
  const verdict = lookupHostKey(parseKnownHosts(await readKnownHosts(file)), host, port, key)
  if (verdict.status !== 'new' || mode === 'strict') return decide(verdict, file, host, port, key)
  await mkdir(dirname(file), { recursive: true, mode: 0o700 })
  return serialized(file, () => withFileLock(file, async () => {
    const text = await readKnownHosts(file)
    const fresh = lookupHostKey(parseKnownHosts(text), host, port, key)
    if (fresh.status !== 'new') return decide(fresh, file, host, port, key)
    const line = `${knownHostsName(host, port)} ${blobKeyType(key)} ${key.toString('base64')}\n`
    await appendFile(file, text === '' || text.endsWith('\n') ? line : `\n${line}`)
    return { accepted: true, recorded: true }
  }))
}

// The handshake's host key algorithms, types already known for the host first, so that a host
// known by its RSA key is not refused as changed because it also has an Ed25519 one.
export async function hostKeyAlgorithms(file: string, host: string, port: number): Promise<string[] | undefined> {
  const known = knownKeyTypes(parseKnownHosts(await readKnownHosts(file).catch(() => '')), host, port)
  const preferred = known.flatMap((type) => ALGORITHMS_BY_TYPE[type] ?? [])
  if (preferred.length === 0) return undefined
  return [...new Set([...preferred, ...DEFAULT_HOST_KEY_ALGORITHMS])]
}

// ssh2's own default order.
const DEFAULT_HOST_KEY_ALGORITHMS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
]

const ALGORITHMS_BY_TYPE: Record<string, string[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
}

function decide(verdict: HostKeyVerdict, file: string, host: string, port: number, key: Buffer): HostKeyCheck {
  const who = port === 22 ? host : `${host}:${port}`
  const presented = `${blobKeyType(key)} key ${fingerprint(key)}`
  switch (verdict.status) {
    case 'ok':
      return { accepted: true, recorded: false }
    case 'revoked':
      return { accepted: false, reason: `the ${presented} of ${who} is marked @revoked in ${file}:${verdict.line}` }
    case 'new':
      return {
        accepted: false,
        reason: `host key of ${who} is not known (${presented}) and host key checking is strict: add it to ${file}`,
      }
    case 'changed':
      return {
        accepted: false,
        reason:
          `REMOTE HOST IDENTIFICATION HAS CHANGED for ${who}: the server sent the ${presented}, ` +
          `which does not match the ${verdict.knownType} key in ${file}:${verdict.line}. ` +
          `If the host was reinstalled, remove the old key: ssh-keygen -R ${shQuote(knownHostsName(host, port))} -f ${file}`,
      }
  }
}

async function readKnownHosts(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return ''
    throw err
  }
}

const appends = new Map<string, Promise<unknown>>()

// Appends to one file happen one at a time, each after re-reading it, so parallel connects neither
// interleave lines nor record the same host twice: within this process by a queue, across processes
// by a lock file (an append under a lock, not a rewrite and rename, keeps the file's owner, mode and
// links, and never loses a line that ssh(1), which takes no lock, appended meanwhile).
function serialized<T>(file: string, task: () => Promise<T>): Promise<T> {
  const next = (appends.get(file) ?? Promise.resolve()).then(task, task)
  appends.set(file, next.catch(() => undefined))
  return next
}
