import { homedir, userInfo } from 'node:os'
import { resolve } from 'node:path'
import { InputError } from '../errors.ts'
import { bool } from '../sdk/coerce.ts'
import type { Become, HostKeyChecking, SshTarget } from '../connection/types.ts'
import type { Vars } from '../vars.ts'

export interface ConnectOptions {
  user?: string
  privateKey?: string
  become: boolean
  becomeUser?: string
  becomePassword?: string
  knownHostsFile: string
  hostKeyChecking: HostKeyChecking
  connectTimeoutMs: number
}

export type Target = { kind: 'local'; name: string; become?: Become } | { kind: 'ssh'; ssh: SshTarget }

// The variables targetFor reads: rendered before the host is contacted (so never from its facts).
export const CONNECTION_VARS = ['ansible_connection', 'ansible_host', 'ansible_port', 'ansible_user', 'ansible_ssh_private_key_file', 'ansible_private_key_file', 'ansible_become', 'ansible_become_user']

// Ansible's connection variables win over command-line defaults, as in ansible-playbook.
export function targetFor(name: string, vars: Vars, opts: ConnectOptions, playBecome?: boolean, playBecomeUser?: string): Target {
  const connection = str(vars.ansible_connection, 'ansible_connection') ?? (name === 'localhost' ? 'local' : 'ssh')
  const becomeOn = flag(vars.ansible_become, 'ansible_become', name) ?? playBecome ?? opts.become
  const become: Become | undefined = becomeOn
    ? { user: str(vars.ansible_become_user, 'ansible_become_user') ?? playBecomeUser ?? opts.becomeUser ?? 'root', password: opts.becomePassword }
    : undefined
  if (connection === 'local') return { kind: 'local', name, become }
  if (connection !== 'ssh' && connection !== 'smart') {
    throw new InputError(`host ${name}: ansible_connection '${connection}' is not supported, expected ssh or local`)
  }
  const port = Number(vars.ansible_port ?? 22)
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InputError(`host ${name}: ansible_port '${String(vars.ansible_port)}' is not a port number`)
  const key = str(vars.ansible_ssh_private_key_file, 'ansible_ssh_private_key_file') ?? str(vars.ansible_private_key_file, 'ansible_private_key_file') ?? opts.privateKey
  return {
    kind: 'ssh',
    ssh: {
      name,
      address: str(vars.ansible_host, 'ansible_host') ?? name,
      port,
      user: str(vars.ansible_user, 'ansible_user') ?? opts.user ?? userInfo().username,
      privateKeyFile: key ? resolve(key.replace(/^~(?=\/|$)/, homedir())) : undefined,
      knownHostsFile: opts.knownHostsFile,
      hostKeyChecking: opts.hostKeyChecking,
      connectTimeoutMs: opts.connectTimeoutMs,
      become,
    },
  }
}

function str(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value === 'string' || typeof value === 'number') return String(value)
  throw new InputError(`${name} must be a string, found ${typeof value}`)
}

// Unset, or true/false by the SDK's table (Ansible's): `ansible_become=maybe` is bad input, not false.
function flag(value: unknown, name: string, host: string): boolean | undefined {
  if (value === undefined || value === null) return undefined
  try {
    return bool(value, name)
  } catch (err) {
    throw new InputError(`host ${host}: ${(err as Error).message}`)
  }
}
