import type { ExecResult } from '../../connection/types.ts'
import type { Facts } from '../facts.types.ts'

// What a primitive may do to a host: read (always) and change (never in check mode).
export interface PrimitiveIO {
  probe(command: string, stdin?: string | Buffer): Promise<ExecResult>
  // In check mode this is not called by primitives: they return the outcome they would have.
  run(command: string, stdin?: string | Buffer): Promise<ExecResult>
  check: boolean
  diff: boolean
  facts: Facts
}

export interface Outcome {
  changed: boolean
  // Unified diff of a file change, when diff mode is on.
  diff?: string
  // Short human text: "would install samba", "restarted smbd".
  message?: string
}

// A primitive that cannot do its job throws this; the task fails with the message.
export class StepError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'StepError'
  }
}
