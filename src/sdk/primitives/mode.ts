import { StepError } from '../outcome.ts'

// Modes arrive as '0644', '644' or 0o644; primitives compare numbers, never strings.
export function parseMode(mode: string | number): number {
  const value = typeof mode === 'number' ? mode : /^[0-7]{1,5}$/.test(mode) ? parseInt(mode, 8) : NaN
  if (!Number.isInteger(value) || value < 0 || value > 0o7777) {
    throw new StepError(`expected an octal mode like '0644', got ${JSON.stringify(mode)}`)
  }
  return value
}

// Five digits: GNU chmod keeps a directory's setgid bit for shorter numeric modes, which would never converge.
export function chmodMode(mode: number): string {
  return mode.toString(8).padStart(5, '0')
}

// How a mode reads in messages: 0644, 2775.
export function showMode(mode: number): string {
  return mode.toString(8).padStart(4, '0')
}
