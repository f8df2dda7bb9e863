import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, extname, join, resolve } from 'node:path'
import { InputError, type Place } from '../errors.ts'
import { parseIni, type IniSections } from './ini.ts'

// A value from ansible.cfg or the environment, with where it was written (file:line, or the variable).
export interface Setting<T> {
  value: T
  place: Place
}

// What labplay takes from Ansible's configuration; each is unset when neither ansible.cfg nor the
// environment sets it (the CLI then keeps its own default).
export interface AnsibleSettings {
  inventory?: Setting<string[]>
  remoteUser?: Setting<string>
  privateKeyFile?: Setting<string>
  forks?: Setting<number>
  hostKeyChecking?: Setting<boolean>
  rolesPath?: Setting<string[]>
  timeout?: Setting<number>
  vaultPasswordFile?: Setting<string>
  vaultIdentityList?: Setting<string[]>
  retryFilesEnabled?: Setting<boolean>
  retryFilesSavePath?: Setting<string>
  askPass?: Setting<boolean>
  transport?: Setting<string>
  become?: Setting<boolean>
  becomeMethod?: Setting<string>
  becomeUser?: Setting<string>
  becomeAskPass?: Setting<boolean>
  sshArgs?: Setting<string>
  sshCommonArgs?: Setting<string>
  sshExtraArgs?: Setting<string>
}

export interface AnsibleConfig {
  // The ansible.cfg read, if any (`-v` names it, as ansible-playbook does).
  file?: string
  settings: AnsibleSettings
  warnings: string[]
}

type Kind = 'string' | 'boolean' | 'integer' | 'path' | 'pathlist' | 'pathspec' | 'list'
type Row = { key: keyof AnsibleSettings; section: string; ini: string; env: string; kind: Kind }

// Ansible's names for each setting (ansible-core's config/base.yml and the ssh connection plugin).
const ROWS: Row[] = [
  { key: 'inventory', section: 'defaults', ini: 'inventory', env: 'ANSIBLE_INVENTORY', kind: 'pathlist' },
  { key: 'remoteUser', section: 'defaults', ini: 'remote_user', env: 'ANSIBLE_REMOTE_USER', kind: 'string' },
  { key: 'privateKeyFile', section: 'defaults', ini: 'private_key_file', env: 'ANSIBLE_PRIVATE_KEY_FILE', kind: 'path' },
  { key: 'forks', section: 'defaults', ini: 'forks', env: 'ANSIBLE_FORKS', kind: 'integer' },
  { key: 'hostKeyChecking', section: 'defaults', ini: 'host_key_checking', env: 'ANSIBLE_HOST_KEY_CHECKING', kind: 'boolean' },
  { key: 'rolesPath', section: 'defaults', ini: 'roles_path', env: 'ANSIBLE_ROLES_PATH', kind: 'pathspec' },
  { key: 'timeout', section: 'defaults', ini: 'timeout', env: 'ANSIBLE_TIMEOUT', kind: 'integer' },
  { key: 'vaultPasswordFile', section: 'defaults', ini: 'vault_password_file', env: 'ANSIBLE_VAULT_PASSWORD_FILE', kind: 'path' },
  { key: 'vaultIdentityList', section: 'defaults', ini: 'vault_identity_list', env: 'ANSIBLE_VAULT_IDENTITY_LIST', kind: 'list' },
  { key: 'retryFilesEnabled', section: 'defaults', ini: 'retry_files_enabled', env: 'ANSIBLE_RETRY_FILES_ENABLED', kind: 'boolean' },
  { key: 'retryFilesSavePath', section: 'defaults', ini: 'retry_files_save_path', env: 'ANSIBLE_RETRY_FILES_SAVE_PATH', kind: 'path' },
  { key: 'askPass', section: 'defaults', ini: 'ask_pass', env: 'ANSIBLE_ASK_PASS', kind: 'boolean' },
  { key: 'transport', section: 'defaults', ini: 'transport', env: 'ANSIBLE_TRANSPORT', kind: 'string' },
  { key: 'become', section: 'privilege_escalation', ini: 'become', env: 'ANSIBLE_BECOME', kind: 'boolean' },
  { key: 'becomeMethod', section: 'privilege_escalation', ini: 'become_method', env: 'ANSIBLE_BECOME_METHOD', kind: 'string' },
  { key: 'becomeUser', section: 'privilege_escalation', ini: 'become_user', env: 'ANSIBLE_BECOME_USER', kind: 'string' },
  { key: 'becomeAskPass', section: 'privilege_escalation', ini: 'become_ask_pass', env: 'ANSIBLE_BECOME_ASK_PASS', kind: 'boolean' },
  { key: 'sshArgs', section: 'ssh_connection', ini: 'ssh_args', env: 'ANSIBLE_SSH_ARGS', kind: 'string' },
  { key: 'sshCommonArgs', section: 'ssh_connection', ini: 'ssh_common_args', env: 'ANSIBLE_SSH_COMMON_ARGS', kind: 'string' },
  { key: 'sshExtraArgs', section: 'ssh_connection', ini: 'ssh_extra_args', env: 'ANSIBLE_SSH_EXTRA_ARGS', kind: 'string' },
]

export interface ConfigContext {
  cwd: string
  env: NodeJS.ProcessEnv
  home?: string
}

// The ansible.cfg Ansible would read, in its order: $ANSIBLE_CONFIG (a file, or a folder holding
// ansible.cfg), ./ansible.cfg unless the current folder is world-writable, ~/.ansible.cfg,
// /etc/ansible/ansible.cfg; the first that exists and can be read.
export function findAnsibleConfig(ctx: ConfigContext): { file?: string; warnings: string[] } {
  const home = ctx.home ?? homedir()
  const candidates: string[] = []
  const warnings: string[] = []
  const fromEnv = ctx.env.ANSIBLE_CONFIG
  let envFile: string | undefined
  if (fromEnv !== undefined) {
    const path = resolve(ctx.cwd, expandPath(fromEnv, home, ctx.env))
    envFile = isDir(path) ? join(path, 'ansible.cfg') : path
    candidates.push(envFile)
  }
  const local = join(ctx.cwd, 'ansible.cfg')
  let skippedLocal = false
  try {
    if (statSync(ctx.cwd).mode & 0o002) skippedLocal = existsSync(local)
    else candidates.push(local)
  } catch {
    // An unreadable working folder is no source, as in Ansible.
  }
  candidates.push(join(home, '.ansible.cfg'), '/etc/ansible/ansible.cfg')
  const file = candidates.find(readable)
  if (skippedLocal && file !== envFile) {
    warnings.push(`Ansible is being run in a world writable directory (${ctx.cwd}), ignoring it as an ansible.cfg source.`)
  }
  return { file, warnings }
}

// Ansible's configuration as labplay uses it: the settings of the ansible.cfg found (if any), each
// replaced by its ANSIBLE_* variable when that is set. Bad values are InputErrors naming file:line.
export function loadAnsibleConfig(ctx: ConfigContext): AnsibleConfig {
  const home = ctx.home ?? homedir()
  const { file, warnings } = findAnsibleConfig(ctx)
  let sections: IniSections = new Map()
  if (file) {
    if (!['.cfg', '.ini'].includes(extname(file))) throw new InputError(`expected an ansible.cfg ending in .cfg or .ini, got '${file}'`)
    sections = parseIni(readFileSync(file, 'utf8'), file)
  }
  const settings: AnsibleSettings = {}
  for (const row of ROWS) {
    const env = ctx.env[row.env]
    const entry = sections.get(row.section)?.get(row.ini)
    if (env !== undefined) {
      const place = { file: `$${row.env}` }
      setValue(settings, row, convert(row, env, place, ctx.cwd, home, ctx.env), place)
    } else if (entry && file) {
      const place = { file, line: entry.line }
      setValue(settings, row, convert(row, entry.value, place, dirname(file), home, ctx.env), place)
    }
  }
  return { file, settings, warnings }
}

function setValue(settings: AnsibleSettings, row: Row, value: unknown, place: Place): void {
  ;(settings as Record<string, Setting<unknown>>)[row.key] = { value, place }
}

// Ansible's types: relative paths are taken from the ansible.cfg's folder (or the current one for a variable).
function convert(row: Row, raw: string, place: Place, base: string, home: string, env: NodeJS.ProcessEnv): unknown {
  const value = raw.trim()
  const path = (p: string) => resolve(base, expandPath(p.trim(), home, env))
  switch (row.kind) {
    case 'string':
      return value
    case 'boolean': {
      const word = value.toLowerCase()
      if (['y', 'yes', 'on', '1', 'true', 't'].includes(word)) return true
      if (['n', 'no', 'off', '0', 'false', 'f', ''].includes(word)) return false
      throw new InputError(`${row.ini}: expected true or false, got '${value}'`, place)
    }
    case 'integer':
      if (!/^[+-]?\d+$/.test(value)) throw new InputError(`${row.ini}: expected a whole number, got '${value}'`, place)
      return Number(value)
    case 'path':
      return path(value)
    case 'pathlist':
      return value.split(',').map((p) => p.trim()).filter(Boolean).map(path)
    case 'pathspec':
      return value.split(':').map((p) => p.trim()).filter(Boolean).map(path)
    case 'list':
      return value.split(',').map((p) => p.trim()).filter(Boolean)
  }
}

// `~` and `$VAR`/`${VAR}`, as Ansible's unfrackpath expands them.
function expandPath(path: string, home: string, env: NodeJS.ProcessEnv): string {
  const vars = path.replace(/\$(\w+)|\$\{(\w+)\}/g, (whole, a?: string, b?: string) => env[(a ?? b)!] ?? whole)
  return vars.replace(/^~(?=\/|$)/, home)
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

function readable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK)
    return statSync(path).isFile()
  } catch {
    return false
  }
}
