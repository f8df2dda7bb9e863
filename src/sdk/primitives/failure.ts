import type { ExecResult } from '../../connection/types.ts'
import { StepError } from '../outcome.ts'

const LIMIT = 1500

// The end of what a failed command said (tools say why at the end), trimmed and bounded.
export function commandOutput(result: ExecResult): string {
  const text = (result.stderr.trim() || result.stdout.trim()).replace(/\n{2,}/g, '\n')
  return text.length > LIMIT ? `…${text.slice(-LIMIT)}` : text
}

// A failed command becomes a short error: what we tried, the exit code, why.
export function commandFailed(what: string, result: ExecResult): StepError {
  const text = commandOutput(result)
  return new StepError(`${what} (exit ${result.code})${text ? `: ${text}` : ''}`)
}
