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

// A file change as --diff shows it, with what it was computed from: the engine hides a diff either side of
// which holds a secret (src/engine/redact.ts).
export interface FileDiff {
  path: string
  // Unified diff, or a line saying why the content is not shown.
  text: string
  // The old and new content the text shows; empty when it shows neither.
  sides: string[]
}

export interface Outcome {
  changed: boolean
  // The file change, when diff mode is on.
  diff?: FileDiff
  // Short human text: "would install samba", "restarted smbd".
  message?: string
}
