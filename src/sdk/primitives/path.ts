import { posix } from 'node:path'
import { StepError } from '../outcome.ts'

// Remote commands start in the login's home, so a relative path would mean different files on different hosts.
export function absolutePath(path: string): string {
  if (!path.startsWith('/') || path.includes('\0')) throw new StepError(`expected an absolute path, got ${JSON.stringify(path)}`)
  const normal = posix.normalize(path)
  return normal.length > 1 ? normal.replace(/\/+$/, '') : normal
}
