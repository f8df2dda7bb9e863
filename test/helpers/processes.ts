import { execFileSync } from 'node:child_process'

// The pids (one a line) of this machine's processes whose command line matches, '' when none: how a
// connection test proves that a kill or a timeout took everything the command started with it.
export function pgrep(pattern: string): string {
  try {
    return execFileSync('pgrep', ['-f', pattern]).toString()
  } catch {
    return ''
  }
}
