import { InputError } from '../errors.ts'

// Inventory, vars and host files as text: strict UTF-8, since a lenient decoder turns bad bytes into
// U+FFFD host names and values. The error names the line and column of the first bad byte.
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    // The shortest prefix a streaming strict decoder refuses ends at the first bad byte.
    let good = 0
    let bad = bytes.length
    while (bad - good > 1) {
      const mid = Math.floor((good + bad) / 2)
      if (refuses(bytes.subarray(0, mid))) bad = mid
      else good = mid
    }
    const before = new TextDecoder('utf-8').decode(bytes.subarray(0, bad - 1), { stream: true }).split(/\r\n|\r|\n/)
    throw new InputError('invalid text: not UTF-8 (save the file as UTF-8)', { file, line: before.length, col: (before.at(-1) ?? '').length + 1 })
  }
}

function refuses(prefix: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(prefix, { stream: true })
    return false
  } catch {
    return true
  }
}
