import { createConnection, type Socket } from 'node:net'

// A QEMU machine's QMP monitor (a unix socket): what a test uses to look at a VM's screen and to type and click on
// it, as a student at the seat would. Every command is bounded in time.
export interface Qmp {
  // Runs one QMP command and returns its `return` value; a QMP error is thrown with QEMU's description.
  execute(command: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<unknown>
  close(): void
}

const CONNECT_TIMEOUT_MS = 10_000

export async function connectQmp(path: string): Promise<Qmp> {
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = createConnection(path)
    const timer = setTimeout(() => { s.destroy(); reject(new Error(`QMP ${path}: no connection within ${CONNECT_TIMEOUT_MS} ms`)) }, CONNECT_TIMEOUT_MS)
    s.once('connect', () => { clearTimeout(timer); resolve(s) })
    s.once('error', (e) => { clearTimeout(timer); reject(new Error(`QMP ${path}: ${e.message}`)) })
  })
  let buffer = ''
  let next = 0
  const waiting = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  let greeted: () => void = () => {}
  const greeting = new Promise<void>((resolve) => { greeted = resolve })
  socket.setEncoding('utf8')
  socket.on('data', (chunk: string) => {
    buffer += chunk
    for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
      const line = buffer.slice(0, nl).trim()
      buffer = buffer.slice(nl + 1)
      if (!line) continue
      const message = JSON.parse(line) as { QMP?: unknown; id?: string; return?: unknown; error?: { desc: string } }
      if (message.QMP) greeted()
      const pending = message.id === undefined ? undefined : waiting.get(message.id)
      if (!pending) continue
      waiting.delete(message.id!)
      if (message.error) pending.reject(new Error(`QMP: ${message.error.desc}`))
      else pending.resolve(message.return)
    }
  })
  socket.on('close', () => {
    for (const p of waiting.values()) p.reject(new Error(`QMP ${path}: the monitor closed (QEMU exited?)`))
    waiting.clear()
  })
  const execute = (command: string, args?: Record<string, unknown>, timeoutMs = 30_000): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = String(next++)
      const timer = setTimeout(() => { waiting.delete(id); reject(new Error(`QMP ${command}: no answer within ${timeoutMs} ms`)) }, timeoutMs)
      waiting.set(id, { resolve: (v) => { clearTimeout(timer); resolve(v) }, reject: (e) => { clearTimeout(timer); reject(e) } })
      socket.write(`${JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}), id })}\n`)
    })
  await Promise.race([greeting, new Promise((_, reject) => setTimeout(() => reject(new Error(`QMP ${path}: no greeting`)), CONNECT_TIMEOUT_MS))])
  await execute('qmp_capabilities')
  return { execute, close: () => socket.destroy() }
}
