// Where a piece of bad input sits, so the user can jump to it.
export interface Place {
  file: string
  line?: number
  col?: number
}

// Bad input (YAML, inventory, pattern, option, role, variable): exit 5, a short message, no stack.
export class InputError extends Error {
  constructor(
    message: string,
    readonly place?: Place,
  ) {
    super(message)
    this.name = 'InputError'
  }

  format(): string {
    if (!this.place) return this.message
    const { file, line, col } = this.place
    const at = line === undefined ? file : col === undefined ? `${file}:${line}` : `${file}:${line}:${col}`
    return `${at}: ${this.message}`
  }
}
