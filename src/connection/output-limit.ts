const MiB = 1024 * 1024

// A seat can print without end (1 GiB on one line, `yes`): every command's stdout and stderr together
// are capped, so the controller holds at most this much of one command, whatever a seat sends.
export const DEFAULT_MAX_OUTPUT_BYTES = 16 * MiB
// Above this, one command's output could no longer be one JavaScript string (V8 caps strings near 512 MiB).
export const MAX_OUTPUT_BYTES = 256 * MiB

// The command sent more than its cap: it was killed on the host, and nothing it printed is returned.
export class OutputLimitError extends Error {
  constructor(readonly limitBytes: number) {
    super(`output exceeded ${formatSize(limitBytes)}`)
    this.name = 'OutputLimitError'
  }
}

// "16 MiB", "64 KiB", "100 bytes": a limit as the admin set it.
export function formatSize(bytes: number): string {
  if (bytes >= MiB && bytes % MiB === 0) return `${bytes / MiB} MiB`
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`
  return `${bytes} bytes`
}

// Counts one command's bytes (stdout and stderr together) as they arrive, before anything is decoded.
export class OutputBudget {
  // Resolves once the command went past its cap; never rejects.
  readonly exceeded: Promise<void>
  over = false
  private left: number
  private fire!: () => void

  constructor(readonly limit: number = DEFAULT_MAX_OUTPUT_BYTES) {
    this.left = limit
    this.exceeded = new Promise((resolve) => (this.fire = resolve))
  }

  // Whether these bytes fit; from the first that do not, the caller keeps nothing more.
  take(bytes: number): boolean {
    if (this.over) return false
    this.left -= bytes
    if (this.left >= 0) return true
    this.over = true
    this.fire()
    return false
  }
}
