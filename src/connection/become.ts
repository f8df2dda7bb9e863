import { randomBytes } from 'node:crypto'
import { bashArgv } from './bash.ts'
import type { Become } from './types.ts'

export interface Invocation {
  argv: string[]
  // Bytes sent before the caller's stdin (the sudo password and the line that ends it).
  stdinPrefix?: Buffer
}

// How one command is started: under bash, through sudo when the become user differs from the login user.
export function invocation(command: string, loginUser: string, become: Become | undefined): Invocation {
  if (!become || become.user === loginUser) return { argv: bashArgv(command) }
  const asUser = ['-H', '-u', become.user, '--']
  if (become.password === undefined) return { argv: ['sudo', '-n', ...asUser, ...bashArgv(command)] }
  // sudo -S reads the password line byte by byte; the wrapper then skips to the token line, which also
  // swallows the password when sudo had cached credentials and did not read it.
  const token = `labplay-stdin-${randomBytes(12).toString('hex')}`
  return {
    argv: ['sudo', '-S', '-p', '', ...asUser, ...bashArgv(command, token)],
    stdinPrefix: Buffer.from(`${become.password}\n${token}\n`),
  }
}
