import { readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import type { AuthMethod } from 'ssh2'
import { UnreachableError } from './types.ts'
import type { SshTarget } from './types.ts'

// The methods to try in order, and how to name them when all fail.
export interface AuthPlan {
  methods: AuthMethod[]
  tried: string
}

const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa']

// ssh's order: the given key file only; otherwise the agent, then the default keys that exist.
export async function authPlan(target: SshTarget): Promise<AuthPlan> {
  const username = target.user
  const agent = process.env.SSH_AUTH_SOCK
  const home = homedir()
  if (target.privateKeyFile !== undefined) {
    const key = await readFile(target.privateKeyFile).catch((err: NodeJS.ErrnoException) => {
      throw new UnreachableError(`${target.name}: cannot read private key ${target.privateKeyFile} (${err.code ?? err.message})`)
    })
    return { methods: [{ type: 'publickey', username, key }], tried: `key file ${target.privateKeyFile}` }
  }
  const methods: AuthMethod[] = []
  const tried: string[] = []
  if (agent) {
    methods.push({ type: 'agent', username, agent })
    tried.push(`ssh-agent ${agent}`)
  }
  for (const name of DEFAULT_KEYS) {
    const file = join(home, '.ssh', name)
    const key = await readFile(file).catch(() => undefined)
    if (!key) continue
    methods.push({ type: 'publickey', username, key })
    tried.push(`key file ${file}`)
  }
  return { methods, tried: tried.length ? tried.join(', ') : `nothing: no ssh-agent and no ${DEFAULT_KEYS.join('/')} in ${join(home, '.ssh')}` }
}
