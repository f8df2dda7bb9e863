import { existsSync } from 'node:fs'
import { homedir, userInfo } from 'node:os'
import { resolve } from 'node:path'
import { InputError } from '../errors.ts'
import { parseSshArgs, type SshArgs } from './ssh-args.ts'
import { SshConfigFiles, type SshOptions } from './ssh-config.ts'
import type { Become, HostKeyChecking, SshHop, SshTarget } from './types.ts'

// What the inventory, the command line and ansible.cfg say about reaching one host.
export interface SshInputs {
  name: string
  // ansible_host (or the inventory name): the name ssh_config's Host patterns see.
  host: string
  port?: number
  user?: string
  // -u / remote_user: below ansible_user, above ssh_config's User (ansible-playbook passes it as -o User).
  fallbackUser?: string
  privateKeyFile?: string
  password?: string
  // ssh_args, ssh_common_args, ssh_extra_args in that order (ansible.cfg, the command line or the host's vars).
  args: Array<{ text: string; what: string }>
  knownHostsFile: string
  knownHostsGiven: boolean
  hostKeyChecking: HostKeyChecking
  hostKeyCheckingGiven: boolean
  connectTimeoutMs: number
  connectTimeoutGiven: boolean
  become?: Become
}

const MAX_JUMPS = 8

// Builds each host's SshTarget as OpenSSH would connect: the host's own variables and labplay's options
// first, then ssh arguments (-o, -J, -p, -i), then the ssh_config files (-F FILE, else ~/.ssh/config and
// /etc/ssh/ssh_config), first value winning. Config files are read once per run.
export class SshResolver {
  private readonly files = new Map<string, SshConfigFiles>()

  constructor(private readonly cwd: string, private readonly home = homedir()) {}

  target(inputs: SshInputs): SshTarget {
    const args: SshArgs = { options: new Map() }
    for (const { text, what } of inputs.args) parseSshArgs(text, what, args)
    const config = this.config(args.configFile)
    const get = merged(args.options, config.options(inputs.host))
    const hop = this.hop(inputs, inputs.host, get, { user: inputs.user ?? inputs.fallbackUser, port: inputs.port })
    return {
      ...hop,
      name: inputs.name,
      privateKeyFile: inputs.privateKeyFile,
      password: inputs.password,
      via: this.jumps(inputs, config, get('proxyjump'), [inputs.host]),
      become: inputs.become,
    }
  }

  private hop(inputs: SshInputs, host: string, get: Getter, given: { user?: string; port?: number }): SshHop {
    const address = (str(get('hostname')) ?? host).replaceAll('%h', host)
    const user = given.user ?? str(get('user')) ?? userInfo().username
    const port = given.port ?? (str(get('port')) !== undefined ? Number(get('port')) : 22)
    const tokens = (path: string) => this.expand(path, { h: address, r: user, p: String(port), n: host })
    const strict = str(get('stricthostkeychecking'))?.toLowerCase()
    const knownHosts = list(get('userknownhostsfile'))[0]
    const timeout = str(get('connecttimeout'))
    const alive = str(get('serveraliveinterval'))
    const aliveMax = str(get('serveralivecountmax'))
    return {
      name: host,
      address,
      port,
      user,
      identityFiles: list(get('identityfile')).map(tokens),
      identitiesOnly: str(get('identitiesonly'))?.toLowerCase() === 'yes',
      knownHostsFile: inputs.knownHostsGiven || !knownHosts ? inputs.knownHostsFile : tokens(knownHosts),
      hostKeyChecking: inputs.hostKeyCheckingGiven || !strict ? inputs.hostKeyChecking : STRICT[strict] ?? inputs.hostKeyChecking,
      connectTimeoutMs: inputs.connectTimeoutGiven || !timeout ? inputs.connectTimeoutMs : Number(timeout) * 1000,
      ...(alive && Number(alive) > 0 && { keepaliveIntervalMs: Number(alive) * 1000, keepaliveCountMax: aliveMax ? Number(aliveMax) : 3 }),
    }
  }

  // ProxyJump `[user@]host[:port],…`: each jump is itself looked up in the same ssh_config, as ssh does;
  // the first one's own ProxyJump comes before it (each later one is reached through the one before it);
  // a jump with no IdentityFile of its own may use the host's key.
  private jumps(inputs: SshInputs, config: SshConfigFiles, spec: Value, seen: string[]): SshHop[] | undefined {
    const text = str(spec)
    if (!text || text.toLowerCase() === 'none') return undefined
    const hops: SshHop[] = []
    for (const [i, part] of text.split(',').entries()) {
      const match = /^(?:ssh:\/\/)?(?:([^@]+)@)?(\[[^\]]+\]|[^:@/]+)(?::(\d+))?\/?$/.exec(part.trim())
      if (!match) throw new InputError(`host ${inputs.name}: ProxyJump '${part}': expected [user@]host[:port]`)
      const host = match[2]!.replace(/^\[|\]$/g, '')
      if (seen.includes(host) || seen.length > MAX_JUMPS) throw new InputError(`host ${inputs.name}: ProxyJump loops or passes ${MAX_JUMPS} jumps (${[...seen, host].join(' → ')})`)
      const get = merged(new Map(), config.options(host))
      const before = i === 0 ? this.jumps(inputs, config, get('proxyjump'), [...seen, host]) ?? [] : []
      const hop = this.hop(inputs, host, get, { user: match[1], port: match[3] ? Number(match[3]) : undefined })
      const keys = hop.identityFiles!.length ? hop.identityFiles! : inputs.privateKeyFile ? [inputs.privateKeyFile] : []
      hops.push(...before, { ...hop, identityFiles: keys })
    }
    return hops
  }

  private config(file?: string): SshConfigFiles {
    const key = file ?? ''
    let found = this.files.get(key)
    if (!found) {
      const files = file !== undefined
        ? [{ file: resolve(this.cwd, this.expand(file, {})) }]
        : [{ file: `${this.home}/.ssh/config` }, { file: '/etc/ssh/ssh_config', system: true }].filter((f) => existsSync(f.file))
      found = new SshConfigFiles(files, this.home)
      this.files.set(key, found)
    }
    return found
  }

  // ssh_config(5) TOKENS and `~`: %d home, %u local user, %h host name, %r remote user, %p port, %n the name given.
  private expand(path: string, tokens: Record<string, string>): string {
    const all: Record<string, string> = { d: this.home, u: userInfo().username, '%': '%', ...tokens }
    return path.replace(/^~(?=\/|$)/, this.home).replace(/%([a-z%])/g, (whole, t: string) => all[t] ?? whole)
  }
}

const STRICT: Record<string, HostKeyChecking | undefined> = { yes: 'strict', 'accept-new': 'accept-new', no: 'off', off: 'off', ask: undefined }

type Value = string | string[] | undefined
type Getter = (name: string) => Value

// Command-line values first; IdentityFile and UserKnownHostsFile add up (ssh tries every identity given).
function merged(args: SshOptions, config: SshOptions): Getter {
  return (name) => {
    if (name === 'identityfile') return [...list(args.get(name)), ...list(config.get(name))]
    return args.get(name) ?? config.get(name)
  }
}

function str(value: Value): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

function list(value: Value): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value]
}
