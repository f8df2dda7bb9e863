import { connect, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

// A QEMU Machine Protocol client for the one VM `image edit` runs: JSON lines over a unix socket, commands
// answered in order (events are skipped). Enough to ask where VNC listens and to press the power button.
export class Qmp {
  private rest = ''
  private readonly waiting: Array<{ resolve: (v: unknown) => void; reject: (e: Error) => void }> = []

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => this.feed(chunk))
    socket.on('close', () => this.waiting.splice(0).forEach((w) => w.reject(new Error('QEMU closed its monitor'))))
    socket.on('error', () => undefined)
  }

  // Connects once QEMU has made the socket (bounded by `timeoutMs`, or until `alive` turns false), reads the
  // greeting and leaves negotiation mode.
  static async connect(path: string, timeoutMs: number, alive: () => boolean): Promise<Qmp> {
    const until = Date.now() + timeoutMs
    for (;;) {
      const socket = await new Promise<Socket | undefined>((resolve) => {
        const s = connect(path)
        s.once('connect', () => resolve(s))
        s.once('error', () => resolve(undefined))
      })
      if (socket) {
        const qmp = new Qmp(socket)
        // The greeting arrives as the first line: it answers nothing, so it takes the first place in the queue.
        await new Promise((resolve, reject) => qmp.waiting.push({ resolve, reject }))
        await qmp.execute('qmp_capabilities')
        return qmp
      }
      if (!alive() || Date.now() > until) throw new Error(`QEMU's monitor ${path} did not answer`)
      await sleep(50)
    }
  }

  execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject })
      this.socket.write(`${JSON.stringify({ execute: command, ...(args && { arguments: args }) })}\n`)
    })
  }

  close(): void {
    this.socket.destroy()
  }

  private feed(chunk: string): void {
    const lines = (this.rest + chunk).split('\n')
    this.rest = lines.pop() ?? ''
    for (const line of lines) {
      let message: { QMP?: unknown; return?: unknown; error?: { desc?: string }; event?: string }
      try {
        message = JSON.parse(line) as typeof message
      } catch {
        continue
      }
      if (message.event !== undefined) continue
      const next = this.waiting.shift()
      if (message.error) next?.reject(new Error(message.error.desc ?? 'QMP error'))
      else next?.resolve(message.return ?? message.QMP)
    }
  }
}
