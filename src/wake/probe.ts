import { connect } from 'node:net'

// Longest a single "is its SSH port open?" check may take: a machine that is off does not answer at all.
export const PROBE_TIMEOUT_MS = 2000

// Does address:port accept a TCP connection within timeoutMs? Only the handshake, nothing is sent:
// cheaper than an SSH login and enough to tell a machine that is off from one that is up.
export function probeTcp(address: string, port: number, timeoutMs = PROBE_TIMEOUT_MS, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false)
    const socket = connect({ host: address, port })
    const done = (up: boolean) => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      socket.destroy()
      resolve(up)
    }
    const onAbort = () => done(false)
    const timer = setTimeout(() => done(false), Math.max(1, timeoutMs))
    signal?.addEventListener('abort', onAbort, { once: true })
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}
