import { createServer } from 'node:net'

export interface ContactCounter {
  port: number
  // Connections accepted so far: a bad-input run must leave it unchanged.
  count(): number
  close(): void
}

// A loopback listener that counts and drops every connection: inventories point here to prove that
// bad input is refused before any host is contacted.
export async function contactCounter(): Promise<ContactCounter> {
  let contacts = 0
  const server = createServer((socket) => {
    contacts++
    socket.destroy()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { port: (server.address() as { port: number }).port, count: () => contacts, close: () => server.close() }
}
