import { readdirSync, readFileSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { basename, dirname, isAbsolute, join } from 'node:path'
import SSHConfig, { LineType, type Line } from 'ssh-config'
import { InputError, type Place } from '../errors.ts'

// The OpenSSH client settings labplay applies (ssh_config(5) names, lowercased), each value as written
// (after Host/Match selection: the first obtained value wins; IdentityFile and UserKnownHostsFile are lists).
export type SshOptions = Map<string, string | string[]>

// Directives labplay reads; every other one is parsed and ignored (Ciphers, ControlMaster, ForwardAgent…).
const USED = ['hostname', 'user', 'port', 'identityfile', 'identitiesonly', 'proxyjump', 'connecttimeout', 'serveraliveinterval',
  'serveralivecountmax', 'userknownhostsfile', 'stricthostkeychecking']
// ssh-config compares some names as written: labplay gives it OpenSSH's spelling of the ones it reads.
const SPELLING: Record<string, string> = {
  host: 'Host', match: 'Match', include: 'Include', hostname: 'HostName', user: 'User', port: 'Port', identityfile: 'IdentityFile',
  identitiesonly: 'IdentitiesOnly', proxyjump: 'ProxyJump', connecttimeout: 'ConnectTimeout', serveraliveinterval: 'ServerAliveInterval',
  serveralivecountmax: 'ServerAliveCountMax', userknownhostsfile: 'UserKnownHostsFile', stricthostkeychecking: 'StrictHostKeyChecking',
}
// OpenSSH's own bound on nested Include.
const MAX_INCLUDE_DEPTH = 16
const MAX_FILE_BYTES = 1024 * 1024

// One or more ssh_config files read together, in OpenSSH's order (as with `ssh -F`, or ~/.ssh/config then
// /etc/ssh/ssh_config): Include is followed (globs, relative to ~/.ssh, or /etc/ssh for the system file),
// `Match exec` is never run (it counts as not matching), and each value keeps its file:line.
export class SshConfigFiles {
  private readonly config: SSHConfig
  // Where each directive was written: values are checked line by line as they are read.
  private readonly places = new WeakMap<object, Place>()

  constructor(files: Array<{ file: string; system?: boolean }>, private readonly home = homedir()) {
    this.config = new SSHConfig()
    for (const { file, system } of files) this.config.push(...this.read(file, system ? '/etc/ssh' : join(home, '.ssh'), 0))
  }

  // The settings for `host` (the name given to ssh: ansible_host or the inventory name), as `ssh -G` computes them.
  options(host: string): SshOptions {
    const computed = this.forHost(host).compute(host, { matchExec: false })
    const out: SshOptions = new Map()
    for (const [key, value] of Object.entries(computed)) {
      const name = key.toLowerCase()
      if (USED.includes(name) && !out.has(name)) out.set(name, value)
    }
    return out
  }

  // ssh-config's Host globs let `?` match no character at all (m6-?? took m6-1): labplay decides each Host
  // line itself (ssh_config(5) PATTERNS) and leaves the rest (Match, first value wins) to ssh-config.
  private forHost(host: string): SSHConfig {
    const view = new SSHConfig()
    for (const line of this.config) {
      if (line.type === LineType.DIRECTIVE && line.param === 'Host' && 'config' in line) {
        const patterns = Array.isArray(line.value) ? line.value.map((v) => v.val) : String(line.value).split(/\s+/)
        view.push({ ...line, value: hostMatches(patterns, host) ? '*' : '!*' })
      } else view.push(line)
    }
    return view
  }

  private read(file: string, base: string, depth: number): Line[] {
    let text: string
    try {
      if (statSync(file).size > MAX_FILE_BYTES) throw new InputError(`expected an ssh_config under 1 MiB`, { file })
      text = readFileSync(file, 'utf8')
    } catch (err) {
      if (err instanceof InputError) throw err
      throw new InputError(`cannot read this ssh_config: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { file })
    }
    let parsed: SSHConfig
    try {
      parsed = SSHConfig.parse(text)
    } catch (err) {
      throw new InputError(`not an ssh_config: ${(err as Error).message}`, { file })
    }
    this.number(parsed, file)
    return this.expand(parsed, base, depth)
  }

  // Records each directive's line, checks the values labplay uses, and gives names OpenSSH's spelling.
  private number(lines: Line[], file: string, start = { line: 1 }): void {
    for (const line of lines) {
      start.line += count(line.before)
      if (line.type === LineType.DIRECTIVE) {
        this.places.set(line, { file, line: start.line })
        const spelled = SPELLING[line.param.toLowerCase()]
        if (spelled) line.param = spelled
        checkValue(line.param.toLowerCase(), line.value, { file, line: start.line })
      }
      start.line += count('after' in line ? line.after : '')
      if ('config' in line) this.number(line.config, file, start)
    }
  }

  // Include at the top level adds the file's lines there; inside a Host or Match block, the file's first
  // directives join that block and its own Host/Match blocks follow it.
  private expand(lines: Line[], base: string, depth: number): Line[] {
    const out: Line[] = []
    for (const line of lines) {
      if (line.type === LineType.DIRECTIVE && line.param === 'Include') {
        out.push(...this.included(line, base, depth))
        continue
      }
      if (line.type === LineType.DIRECTIVE && 'config' in line) {
        const own: Line[] = []
        const after: Line[] = []
        for (const inner of line.config) {
          if (inner.type === LineType.DIRECTIVE && inner.param === 'Include') {
            for (const got of this.included(inner, base, depth)) (got.type === LineType.DIRECTIVE && 'config' in got ? after : own).push(got)
          } else own.push(inner)
        }
        line.config.splice(0, line.config.length, ...own)
        out.push(line, ...after)
        continue
      }
      out.push(line)
    }
    return out
  }

  private included(line: Line & { value: unknown }, base: string, depth: number): Line[] {
    const place = this.places.get(line)
    if (depth >= MAX_INCLUDE_DEPTH) throw new InputError(`Include nested more than ${MAX_INCLUDE_DEPTH} deep`, place)
    const patterns = (Array.isArray(line.value) ? line.value.map((v: { val: string }) => v.val) : String(line.value).split(/\s+/)).filter(Boolean)
    return patterns.flatMap((pattern: string) => globFiles(pattern.replace(/^~(?=\/|$)/, this.home), base).flatMap((f) => this.read(f, base, depth + 1)))
  }
}

// A Host line's pattern list: any negated pattern that matches excludes the host, else one plain match includes it.
export function hostMatches(patterns: string[], host: string): boolean {
  let matched = false
  for (const pattern of patterns.flatMap((p) => p.split(','))) {
    const negated = pattern.startsWith('!')
    const body = negated ? pattern.slice(1) : pattern
    const re = new RegExp(`^${body.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`)
    if (re.test(host)) {
      if (negated) return false
      matched = true
    }
  }
  return matched
}

function count(text: string): number {
  return text.split('\n').length - 1
}

// OpenSSH's Include: a relative path is taken from ~/.ssh (user files) or /etc/ssh; `*` and `?` match
// within the last path element; the files come in lexical order, a pattern matching nothing is no error.
function globFiles(pattern: string, base: string): string[] {
  const path = isAbsolute(pattern) ? pattern : join(base, pattern)
  const dir = dirname(path)
  const name = basename(path)
  if (!/[*?[]/.test(name)) return isFile(path) ? [path] : []
  const re = new RegExp(`^${name.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`)
  let entries: string[]
  try {
    entries = readdirSync(dir)
  } catch {
    return []
  }
  return entries.filter((e) => re.test(e) && !e.startsWith('.')).sort().map((e) => join(dir, e)).filter(isFile)
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile()
  } catch {
    return false
  }
}

const YES_NO = ['yes', 'no']
const CHOICES: Record<string, string[]> = {
  identitiesonly: YES_NO,
  stricthostkeychecking: ['yes', 'no', 'off', 'accept-new', 'ask'],
}

// A value labplay would use, checked where it is written (a bad Port is that file's line, not a host's failure).
export function checkValue(name: string, value: unknown, place: Place | undefined): void {
  const text = Array.isArray(value) ? value.map((v: { val: string } | string) => (typeof v === 'string' ? v : v.val)).join(' ') : String(value)
  const fail = (expected: string) => {
    throw new InputError(`${SPELLING[name] ?? name}: expected ${expected}, got '${text}'`, place)
  }
  if (name === 'port' && !(/^\d+$/.test(text) && Number(text) >= 1 && Number(text) <= 65535)) fail('a port number')
  if (['connecttimeout', 'serveraliveinterval', 'serveralivecountmax'].includes(name) && !/^\d+$/.test(text)) fail('a whole number of seconds')
  const choices = CHOICES[name]
  if (choices && !choices.includes(text.toLowerCase())) fail(choices.join(', '))
}
