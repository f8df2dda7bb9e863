import { homedir } from 'node:os'
import { resolve } from 'node:path'
import { InputError } from '../errors.ts'
import { bool } from '../sdk/coerce.ts'
import { SshResolver } from '../connection/ssh-settings.ts'
import type { Become, HostKeyChecking, SshTarget } from '../connection/types.ts'
import type { Vars } from '../vars.ts'

export interface ConnectOptions {
  user?: string
  privateKey?: string
  // -k: the SSH login password for hosts that set no ansible_password.
  password?: string
  become: boolean
  becomeUser?: string
  becomeMethod?: string
  becomePassword?: string
  // -c: the connection of hosts that set no ansible_connection.
  connection?: string
  // ansible.cfg's ssh_args, and ssh_common_args / ssh_extra_args (ansible.cfg or the command line).
  sshArgs?: string
  sshCommonArgs?: string
  sshExtraArgs?: string
  knownHostsFile: string
  hostKeyChecking: HostKeyChecking
  connectTimeoutMs: number
  // Whether the three above were set by the user (then ssh_config's UserKnownHostsFile, StrictHostKeyChecking
  // and ConnectTimeout do not apply).
  knownHostsGiven?: boolean
  hostKeyCheckingGiven?: boolean
  connectTimeoutGiven?: boolean
  cwd?: string
}

export type Target =
  | { kind: 'local'; name: string; become?: Become }
  | { kind: 'ssh'; ssh: SshTarget }
  // A host whose connection labplay does not drive (winrm, network_cli…): listed and selectable, fails when run.
  | { kind: 'unsupported'; name: string; connection: string }

// The variables targetFor reads: rendered before the host is contacted (so never from its facts).
export const CONNECTION_VARS = ['ansible_connection', 'ansible_host', 'ansible_ssh_host', 'ansible_port', 'ansible_ssh_port', 'ansible_user',
  'ansible_ssh_user', 'ansible_ssh_private_key_file', 'ansible_private_key_file', 'ansible_password', 'ansible_ssh_pass', 'ansible_ssh_password',
  'ansible_ssh_common_args', 'ansible_ssh_extra_args', 'ansible_ssh_args', 'ansible_become', 'ansible_become_user', 'ansible_become_method',
  'ansible_become_password', 'ansible_become_pass']

const DRIVEN = ['ssh', 'smart', 'paramiko', 'local']
const resolvers = new WeakMap<ConnectOptions, SshResolver>()

// Ansible's connection variables win over command-line defaults, as in ansible-playbook; of an old and a
// new name for one thing (ansible_ssh_host, ansible_host), the new one wins.
export function targetFor(name: string, vars: Vars, opts: ConnectOptions, playBecome?: boolean, playBecomeUser?: string): Target {
  const connection = str(vars.ansible_connection, 'ansible_connection') ?? (name === 'localhost' ? 'local' : opts.connection ?? 'ssh')
  if (!DRIVEN.includes(connection)) return { kind: 'unsupported', name, connection }
  const becomeOn = flag(vars.ansible_become, 'ansible_become', name) ?? playBecome ?? opts.become
  const method = str(vars.ansible_become_method, 'ansible_become_method') ?? opts.becomeMethod ?? 'sudo'
  if (becomeOn && method !== 'sudo' && method !== 'su') throw new InputError(`host ${name}: ansible_become_method '${method}': expected sudo or su`)
  const become: Become | undefined = becomeOn
    ? {
        user: str(vars.ansible_become_user, 'ansible_become_user') ?? playBecomeUser ?? opts.becomeUser ?? 'root',
        method: method as 'sudo' | 'su',
        password: str(vars.ansible_become_password, 'ansible_become_password') ?? str(vars.ansible_become_pass, 'ansible_become_pass') ?? opts.becomePassword,
      }
    : undefined
  if (connection === 'local') return { kind: 'local', name, become }
  const portVar = vars.ansible_port ?? vars.ansible_ssh_port
  const port = portVar === undefined || portVar === null ? undefined : Number(portVar)
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) throw new InputError(`host ${name}: ansible_port '${String(portVar)}' is not a port number`)
  const key = str(vars.ansible_ssh_private_key_file, 'ansible_ssh_private_key_file') ?? str(vars.ansible_private_key_file, 'ansible_private_key_file') ?? opts.privateKey
  const args = [
    { text: str(vars.ansible_ssh_args, 'ansible_ssh_args') ?? opts.sshArgs, what: `ssh_args of host ${name}` },
    { text: str(vars.ansible_ssh_common_args, 'ansible_ssh_common_args') ?? opts.sshCommonArgs, what: `ansible_ssh_common_args of host ${name}` },
    { text: str(vars.ansible_ssh_extra_args, 'ansible_ssh_extra_args') ?? opts.sshExtraArgs, what: `ansible_ssh_extra_args of host ${name}` },
  ].filter((a): a is { text: string; what: string } => a.text !== undefined && a.text !== '')
  let resolver = resolvers.get(opts)
  if (!resolver) resolvers.set(opts, (resolver = new SshResolver(opts.cwd ?? process.cwd())))
  const ssh = resolver.target({
    name,
    host: str(vars.ansible_host, 'ansible_host') ?? str(vars.ansible_ssh_host, 'ansible_ssh_host') ?? name,
    port,
    user: str(vars.ansible_user, 'ansible_user') ?? str(vars.ansible_ssh_user, 'ansible_ssh_user'),
    fallbackUser: opts.user,
    privateKeyFile: key ? resolve(key.replace(/^~(?=\/|$)/, homedir())) : undefined,
    password: str(vars.ansible_password, 'ansible_password') ?? str(vars.ansible_ssh_pass, 'ansible_ssh_pass') ?? str(vars.ansible_ssh_password, 'ansible_ssh_password') ?? opts.password,
    args,
    knownHostsFile: opts.knownHostsFile,
    knownHostsGiven: opts.knownHostsGiven ?? true,
    hostKeyChecking: opts.hostKeyChecking,
    hostKeyCheckingGiven: opts.hostKeyCheckingGiven ?? true,
    connectTimeoutMs: opts.connectTimeoutMs,
    connectTimeoutGiven: opts.connectTimeoutGiven ?? true,
    become,
  })
  if (become?.method === 'su' && become.password === undefined && ssh.user !== 'root' && become.user !== ssh.user) {
    throw new InputError(`host ${name}: become_method su as ${ssh.user} needs the password of ${become.user} (ansible_become_password, or -K)`)
  }
  return { kind: 'ssh', ssh }
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
