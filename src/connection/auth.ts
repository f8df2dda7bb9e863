import { readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import type { AuthMethod } from 'ssh2'
import { UnreachableError } from './types.ts'
import type { SshHop } from './types.ts'

// The methods to try in order, and how to name them when all fail.
export interface AuthPlan {
  methods: AuthMethod[]
  tried: string
}

const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa']

// ssh's order: the given key file only; otherwise the agent (unless IdentitiesOnly), then the
// IdentityFiles that exist, or the default keys when none is configured; a password last.
export async function authPlan(target: SshHop): Promise<AuthPlan> {
  const username = target.user
  const methods: AuthMethod[] = []
  const tried: string[] = []
  if (target.privateKeyFile !== undefined) {
    const key = await readFile(target.privateKeyFile).catch((err: NodeJS.ErrnoException) => {
      throw new UnreachableError(`cannot read private key ${target.privateKeyFile} (${err.code ?? err.message})`)
    })
    methods.push({ type: 'publickey', username, key })
    tried.push(`key file ${target.privateKeyFile}`)
  } else {
    const agent = process.env.SSH_AUTH_SOCK
    if (agent && !target.identitiesOnly) {
      methods.push({ type: 'agent', username, agent })
      tried.push(`ssh-agent ${agent}`)
    }
    const configured = target.identityFiles ?? []
    const files = configured.length ? configured : DEFAULT_KEYS.map((name) => join(homedir(), '.ssh', name))
    for (const file of files) {
      const key = await readFile(file).catch(() => undefined)
      if (!key) continue
      methods.push({ type: 'publickey', username, key })
      tried.push(`key file ${file}`)
    }
  }
  if (target.password !== undefined) {
    const password = target.password
    methods.push({ type: 'password', username, password })
    methods.push({ type: 'keyboard-interactive', username, prompt: (_name, _instructions, _lang, prompts, finish) => finish(prompts.map(() => password)) })
    tried.push('password')
  }
  if (tried.length) return { methods, tried: tried.join(', ') }
  return { methods, tried: `nothing: no ssh-agent and no ${DEFAULT_KEYS.join('/')} in ${join(homedir(), '.ssh')}` }
}
