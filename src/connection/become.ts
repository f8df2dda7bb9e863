import { randomBytes } from 'node:crypto'
import { bashArgv, shellLine } from './bash.ts'
import type { Become } from './types.ts'

export interface Invocation {
  argv: string[]
  // Bytes sent before the caller's stdin (the become password and the line that ends it).
  stdinPrefix?: Buffer
  // Whatever precedes the wrapper's process-group line on stderr is the become tool's own (su's prompt).
  promptOnStderr?: boolean
}

// How one command is started: under bash, through sudo or su when the become user differs from the login user.
export function invocation(command: string, loginUser: string, become: Become | undefined): Invocation {
  if (!become || become.user === loginUser) return { argv: bashArgv(command) }
  if (become.method === 'su') return su(command, loginUser, become)
  const asUser = ['-H', '-u', become.user, '--']
  if (become.password === undefined) return { argv: ['sudo', '-n', ...asUser, ...bashArgv(command)] }
  // sudo -S reads the password line byte by byte; the wrapper then skips to the token line, which also
  // swallows the password when sudo had cached credentials and did not read it.
  const token = stdinToken()
  return {
    argv: ['sudo', '-S', '-p', '', ...asUser, ...bashArgv(command, token)],
    stdinPrefix: Buffer.from(`${become.password}\n${token}\n`),
  }
}

// su asks the become user's password through PAM, which reads one line from standard input when it is not a
// terminal (no pty, so the session's bytes pass unchanged); root is not asked. The password never reaches a
// command line. su runs the wrapper through the become user's login shell, which reads POSIX quotes.
function su(command: string, loginUser: string, become: Become): Invocation {
  const asked = loginUser !== 'root' && become.password !== undefined
  const token = stdinToken()
  return {
    argv: ['su', '-c', shellLine(bashArgv(command, token)), '--', become.user],
    stdinPrefix: Buffer.from(`${asked ? `${become.password}\n` : ''}${token}\n`),
    promptOnStderr: true,
  }
}

function stdinToken(): string {
  return `labplay-stdin-${randomBytes(12).toString('hex')}`
}
