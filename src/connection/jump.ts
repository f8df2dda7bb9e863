import type { Duplex } from 'node:stream'
import type { Client } from 'ssh2'
import { UnreachableError, type SshHop } from './types.ts'

// How one hop is logged in to (ssh.ts's login, passed in so the two files do not import each other).
export type Login = (hop: SshHop, sock?: Duplex) => Promise<Client>

// A use of a jump host's connection; the last release closes it.
export interface JumpLease {
  client: Client
  release(): void
}

interface Entry {
  client: Promise<Client>
  refs: number
}

// Open jump connections, by the chain of hops that leads to them: every seat behind one gateway shares it.
const open = new Map<string, Entry>()

// The connection to the last of `hops`, reached through the ones before it (each checked against
// known_hosts like any host); made once, then shared until its last user releases it.
export async function leaseJump(hops: SshHop[], login: Login): Promise<JumpLease> {
  const key = hops.map((h) => `${h.user}@${h.address}:${h.port}`).join(' > ')
  let entry = open.get(key)
  if (!entry) {
    const made: Entry = { refs: 0, client: connectHop(hops, login) }
    entry = made
    open.set(key, made)
    made.client.then(
      (client) => client.on('close', () => open.get(key) === made && open.delete(key)),
      () => undefined,
    )
  }
  entry.refs++
  const held = entry
  const client = await held.client.catch((err: Error) => {
    release(key, held)
    throw err
  })
  let released = false
  return {
    client,
    release: () => {
      if (!released) release(key, held)
      released = true
    },
  }
}

async function connectHop(hops: SshHop[], login: Login): Promise<Client> {
  const hop = hops.at(-1)!
  const parent = hops.length > 1 ? await leaseJump(hops.slice(0, -1), login) : undefined
  try {
    const sock = parent ? await channel(parent.client, hop) : undefined
    const client = await login(hop, sock).catch((err: Error) => {
      throw new UnreachableError(`jump host ${hop.name}: ${err.message}`)
    })
    if (parent) client.on('close', () => parent.release())
    return client
  } catch (err) {
    parent?.release()
    throw err
  }
}

function channel(through: Client, hop: SshHop): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new UnreachableError(`jump host ${hop.name}: connect timeout after ${hop.connectTimeoutMs / 1000}s`)), hop.connectTimeoutMs)
    through.forwardOut('127.0.0.1', 0, hop.address, hop.port, (err, stream) => {
      clearTimeout(timer)
      if (err) reject(new UnreachableError(`jump host ${hop.name}: cannot be reached from the jump before it (${err.message})`))
      else resolve(stream)
    })
  })
}

function release(key: string, entry: Entry): void {
  entry.refs--
  if (entry.refs > 0) return
  if (open.get(key) === entry) open.delete(key)
  entry.client.then((client) => client.end(), () => undefined)
}
