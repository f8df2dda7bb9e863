// The part of ssh2 labplay uses, typed (ssh2 ships no types and @types/ssh2 is not installed).
declare module 'ssh2' {
  import type { EventEmitter } from 'node:events'
  import type { Duplex, Readable } from 'node:stream'

  // One entry of the authHandler list, tried in order.
  export type AuthMethod =
    | { type: 'publickey'; username: string; key: Buffer }
    | { type: 'agent'; username: string; agent: string }
    | { type: 'password'; username: string; password: string }
    | { type: 'keyboard-interactive'; username: string; prompt: (name: string, instructions: string, lang: string, prompts: Array<{ prompt: string; echo?: boolean }>, finish: (answers: string[]) => void) => void }

  // Client.connect options (only those labplay sets).
  export interface ConnectConfig {
    host: string
    port: number
    username: string
    readyTimeout: number
    keepaliveInterval: number
    keepaliveCountMax: number
    authHandler: AuthMethod[]
    // Called with the raw public key blob; answer through verify (may be asynchronous).
    hostVerifier: (key: Buffer, verify: (accept: boolean) => void) => void
    algorithms?: { serverHostKey?: string[] }
    // A stream to speak SSH over instead of a TCP connection to host:port (a channel through a jump host).
    sock?: Duplex
  }

  // An exec channel: the readable side is stdout, the writable side stdin.
  // Events: 'exit' (code: number | null, signal?: string), 'close'.
  export interface ClientChannel extends Duplex {
    stderr: Readable
    close(): void
  }

  // Events: 'ready', 'error' (Error & { level?: string; code?: string }), 'close'.
  export class Client extends EventEmitter {
    connect(config: ConnectConfig): this
    exec(command: string, callback: (err: Error | undefined, channel: ClientChannel) => void): this
    // A direct-tcpip channel from the server to host:port (what ssh -W and ProxyJump use).
    forwardOut(srcIP: string, srcPort: number, dstIP: string, dstPort: number, callback: (err: Error | undefined, channel: ClientChannel) => void): this
    end(): this
    destroy(): this
  }
}
