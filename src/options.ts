import { InputError } from './errors.ts'
import type { HostKeyChecking } from './connection/types.ts'
import { DEFAULT_MAX_OUTPUT_BYTES, MAX_OUTPUT_BYTES } from './connection/output-limit.ts'

export interface Options {
  playbook?: string
  inventories: string[]
  limit?: string
  tags: string[]
  skipTags: string[]
  check: boolean
  diff: boolean
  forks: number
  extraVars: string[]
  user?: string
  privateKey?: string
  become: boolean
  becomeUser?: string
  askBecomePass: boolean
  listHosts: boolean
  listTasks: boolean
  listTags: boolean
  syntaxCheck: boolean
  verbosity: number
  // undefined: no JSON; '-': stdout instead of the human view; else a file path.
  json?: string
  connectTimeoutS: number
  taskTimeoutS: number
  // Cap on one command's stdout + stderr, in MiB (src/connection/output-limit.ts).
  maxOutputMiB: number
  hostKeyChecking: HostKeyChecking
  knownHosts?: string
  // The run record: another file (--records), or none (--no-records); see src/records/db.ts recordsPath.
  records?: string
  noRecords: boolean
  // Wake-on-LAN before the run (src/wake/): hosts that do not answer, waited for this many seconds.
  wake: boolean
  wakeTimeoutS: number
  // Run only the roles whose inputs changed on a host since they last succeeded there (src/records/stale.ts).
  stale: boolean
  // ansible-vault passwords (src/vault/passwords.ts): --vault-id, --vault-password-file, --ask-vault-pass.
  vaultIds: string[]
  vaultPasswordFiles: string[]
  askVaultPass: boolean
  // Coming from Ansible (issue 14.8): password login (-k), the default connection (-c), su or sudo, extra
  // ssh arguments for every host, and where/how tasks start.
  askPass: boolean
  connection?: string
  becomeMethod?: string
  sshCommonArgs?: string
  sshExtraArgs?: string
  startAtTask?: string
  step: boolean
  // The options given on the command line, so ansible.cfg fills in only the others (src/config/apply.ts).
  given: Set<keyof Options>
  help: boolean
  version: boolean
}

// Chosen for a 250-host lab: ssh setup is cheap on the controller, so 50 hosts connect per wave.
export const DEFAULT_FORKS = 50
export const DEFAULT_CONNECT_TIMEOUT_S = 10
export const DEFAULT_TASK_TIMEOUT_S = 600
export const DEFAULT_MAX_OUTPUT_MIB = DEFAULT_MAX_OUTPUT_BYTES / (1024 * 1024)
const MAX_OUTPUT_MIB = MAX_OUTPUT_BYTES / (1024 * 1024)
// A PC that boots from its disk answers SSH within a minute or two: three is a bound, not an estimate.
export const DEFAULT_WAKE_TIMEOUT_S = 180

type Spec = { key: keyof Options; kind: 'flag' | 'value' | 'list' | 'count' }

const SPECS: Record<string, Spec> = {
  '-i': { key: 'inventories', kind: 'list' }, '--inventory': { key: 'inventories', kind: 'list' },
  '-l': { key: 'limit', kind: 'value' }, '--limit': { key: 'limit', kind: 'value' },
  '-t': { key: 'tags', kind: 'list' }, '--tags': { key: 'tags', kind: 'list' },
  '--skip-tags': { key: 'skipTags', kind: 'list' },
  '-C': { key: 'check', kind: 'flag' }, '--check': { key: 'check', kind: 'flag' },
  '-D': { key: 'diff', kind: 'flag' }, '--diff': { key: 'diff', kind: 'flag' },
  '-f': { key: 'forks', kind: 'value' }, '--forks': { key: 'forks', kind: 'value' },
  '-e': { key: 'extraVars', kind: 'list' }, '--extra-vars': { key: 'extraVars', kind: 'list' },
  '-u': { key: 'user', kind: 'value' }, '--user': { key: 'user', kind: 'value' },
  '--private-key': { key: 'privateKey', kind: 'value' }, '--key-file': { key: 'privateKey', kind: 'value' },
  '-b': { key: 'become', kind: 'flag' }, '--become': { key: 'become', kind: 'flag' },
  '--become-user': { key: 'becomeUser', kind: 'value' },
  '-K': { key: 'askBecomePass', kind: 'flag' }, '--ask-become-pass': { key: 'askBecomePass', kind: 'flag' },
  '--list-hosts': { key: 'listHosts', kind: 'flag' },
  '--list-tasks': { key: 'listTasks', kind: 'flag' },
  '--list-tags': { key: 'listTags', kind: 'flag' },
  '--syntax-check': { key: 'syntaxCheck', kind: 'flag' },
  '-v': { key: 'verbosity', kind: 'count' }, '--verbose': { key: 'verbosity', kind: 'count' },
  '-T': { key: 'connectTimeoutS', kind: 'value' }, '--timeout': { key: 'connectTimeoutS', kind: 'value' },
  '--task-timeout': { key: 'taskTimeoutS', kind: 'value' },
  '--max-output': { key: 'maxOutputMiB', kind: 'value' },
  '--host-key-checking': { key: 'hostKeyChecking', kind: 'value' },
  '--known-hosts': { key: 'knownHosts', kind: 'value' },
  '--records': { key: 'records', kind: 'value' },
  '--no-records': { key: 'noRecords', kind: 'flag' },
  '--wake': { key: 'wake', kind: 'flag' },
  '--wake-timeout': { key: 'wakeTimeoutS', kind: 'value' },
  '--stale': { key: 'stale', kind: 'flag' },
  '--vault-id': { key: 'vaultIds', kind: 'list' },
  '--vault-password-file': { key: 'vaultPasswordFiles', kind: 'list' }, '--vault-pass-file': { key: 'vaultPasswordFiles', kind: 'list' },
  '--ask-vault-pass': { key: 'askVaultPass', kind: 'flag' }, '--ask-vault-password': { key: 'askVaultPass', kind: 'flag' },
  '-k': { key: 'askPass', kind: 'flag' }, '--ask-pass': { key: 'askPass', kind: 'flag' },
  '-c': { key: 'connection', kind: 'value' }, '--connection': { key: 'connection', kind: 'value' },
  '--become-method': { key: 'becomeMethod', kind: 'value' },
  '--ssh-common-args': { key: 'sshCommonArgs', kind: 'value' },
  '--ssh-extra-args': { key: 'sshExtraArgs', kind: 'value' },
  '--start-at-task': { key: 'startAtTask', kind: 'value' },
  '--step': { key: 'step', kind: 'flag' },
  '-h': { key: 'help', kind: 'flag' }, '--help': { key: 'help', kind: 'flag' },
  '--version': { key: 'version', kind: 'flag' },
}

// argv → Options, with ansible-playbook's spellings; anything unknown is an InputError (exit 5).
export function parseOptions(argv: string[]): Options {
  const o: Options = {
    inventories: [], tags: [], skipTags: [], check: false, diff: false, forks: DEFAULT_FORKS, extraVars: [],
    become: false, askBecomePass: false, listHosts: false, listTasks: false, listTags: false, syntaxCheck: false,
    verbosity: 0, connectTimeoutS: DEFAULT_CONNECT_TIMEOUT_S, taskTimeoutS: DEFAULT_TASK_TIMEOUT_S, maxOutputMiB: DEFAULT_MAX_OUTPUT_MIB,
    hostKeyChecking: 'accept-new', noRecords: false, wake: false, wakeTimeoutS: DEFAULT_WAKE_TIMEOUT_S, stale: false, help: false, version: false,
    vaultIds: [], vaultPasswordFiles: [], askVaultPass: false, askPass: false, step: false, given: new Set(),
  }
  const raw: Record<string, unknown> = o as unknown as Record<string, unknown>
  const args = expand(argv)
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (arg === '--json') {
      const next = args[i + 1]
      o.json = next !== undefined && (next === '-' || next.endsWith('.json')) ? (i++, next) : '-'
      continue
    }
    if (!arg.startsWith('-') || arg === '-') {
      if (o.playbook !== undefined) throw new InputError(`unexpected argument '${arg}': labplay runs one playbook at a time`)
      o.playbook = arg
      continue
    }
    const spec = SPECS[arg]
    if (!spec) throw new InputError(`unknown option '${arg}' (see labplay --help)`)
    o.given.add(spec.key)
    if (spec.kind === 'flag') raw[spec.key] = true
    else if (spec.kind === 'count') o.verbosity++
    else {
      const value = args[++i]
      if (value === undefined) throw new InputError(`option ${arg} needs a value`)
      if (spec.kind === 'list') (raw[spec.key] as string[]).push(...(spec.key === 'tags' || spec.key === 'skipTags' ? splitTags(value) : [value]))
      else raw[spec.key] = value
    }
  }
  o.forks = positiveInt(o.forks, '--forks')
  o.connectTimeoutS = positiveInt(o.connectTimeoutS, '--timeout')
  o.taskTimeoutS = positiveInt(o.taskTimeoutS, '--task-timeout')
  o.maxOutputMiB = positiveInt(o.maxOutputMiB, '--max-output')
  if (o.maxOutputMiB > MAX_OUTPUT_MIB) throw new InputError(`--max-output '${o.maxOutputMiB}': expected at most ${MAX_OUTPUT_MIB} (MiB)`)
  if (!['strict', 'accept-new', 'off'].includes(o.hostKeyChecking)) {
    throw new InputError(`--host-key-checking '${o.hostKeyChecking}': expected strict, accept-new or off`)
  }
  if (o.noRecords && o.records !== undefined) throw new InputError('--records and --no-records: give one or the other')
  o.wakeTimeoutS = positiveInt(o.wakeTimeoutS, '--wake-timeout')
  if (o.wake && o.noRecords) throw new InputError('--wake needs the run record (the MACs come from earlier runs): it cannot be used with --no-records')
  if (o.askVaultPass && o.vaultPasswordFiles.length) throw new InputError('--ask-vault-pass and --vault-password-file: give one or the other (or several --vault-id)')
  if (o.becomeMethod !== undefined) checkBecomeMethod(o.becomeMethod, '--become-method')
  if (o.connection !== undefined) checkConnection(o.connection, '--connection')
  if (o.stale && o.noRecords) throw new InputError('--stale compares with the run record: it cannot be used with --no-records')
  if (!o.playbook && !o.help && !o.version) throw new InputError('no playbook given: labplay PLAYBOOK [options] (see labplay --help)')
  return o
}

// -vvv → -v -v -v, -Cl x → -C -l x, --opt=value → --opt value.
function expand(argv: string[]): string[] {
  const out: string[] = []
  for (const arg of argv) {
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1
    if (eq > 0) out.push(arg.slice(0, eq), arg.slice(eq + 1))
    else if (/^-[a-zA-Z]{2,}$/.test(arg)) {
      const letters = arg.slice(1)
      let j = 0
      for (; j < letters.length; j++) {
        const flag = `-${letters[j]}`
        out.push(flag)
        if (SPECS[flag] && (SPECS[flag].kind === 'value' || SPECS[flag].kind === 'list')) break
      }
      if (j < letters.length - 1) out.push(letters.slice(j + 1))
    } else out.push(arg)
  }
  return out
}

// Shared with ansible.cfg's become_method (src/config/apply.ts).
export function checkBecomeMethod(value: string, name: string): void {
  if (!BECOME_METHODS.includes(value)) throw new InputError(`${name} '${value}': expected sudo or su`)
}

// labplay drives ssh and local; a host with another connection is listed but not run (src/engine/targets.ts).
export function checkConnection(value: string, name: string): void {
  if (!['ssh', 'smart', 'local', 'paramiko'].includes(value)) throw new InputError(`${name} '${value}': expected ssh or local (labplay drives no other connection)`)
}

const BECOME_METHODS = ['sudo', 'su']

function splitTags(value: string): string[] {
  return value.split(',').map((t) => t.trim()).filter(Boolean)
}

function positiveInt(value: unknown, name: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new InputError(`${name} '${String(value)}': expected a whole number of at least 1`)
  return n
}

export const USAGE = `usage: labplay PLAYBOOK [options]
       labplay history|show|report [options]   (see labplay history --help)
       labplay inventory --list | --host HOST | --graph [GROUP] [-i SRC]   (as ansible-inventory)

Runs a playbook (a path, or a name looked up in ./playbooks/) on the hosts of an inventory.

  -i, --inventory SRC       inventory file, folder or "h1,h2," (repeatable; default ./inventory)
  -l, --limit PATTERN       only these hosts (Ansible pattern, or @file such as site.retry)
  -t, --tags TAGS           only tasks with these tags (every role is tagged with its name)
      --skip-tags TAGS      leave out tasks with these tags
  -C, --check               change nothing; report what would change
  -D, --diff                show a unified diff of every file change
  -f, --forks N             hosts worked on at once (default ${DEFAULT_FORKS})
  -e, --extra-vars VARS     k=v pairs, JSON/YAML, or @file (repeatable; highest precedence)
  -u, --user USER           remote user when the inventory sets no ansible_user
      --private-key FILE    ssh key when the inventory sets no ansible_ssh_private_key_file
  -b, --become              run as root through sudo
      --become-user USER    run as this user through sudo (default root)
  -K, --ask-become-pass     ask for the sudo password (never shown, never logged)
      --become-method sudo|su   how to become (default sudo; su asks the become user's password)
  -k, --ask-pass            ask for the SSH login password (never shown, never logged)
  -c, --connection ssh|local  connection for hosts that set no ansible_connection (default ssh)
      --ssh-common-args ARGS  ssh options for every host: -o K=V, -J JUMP, -p PORT, -i KEY, -F FILE
      --ssh-extra-args ARGS   likewise (ansible-playbook passes them to ssh only)
  -T, --timeout SECONDS     ssh connect timeout (default ${DEFAULT_CONNECT_TIMEOUT_S})
      --task-timeout SECONDS  kill a command that runs longer (default ${DEFAULT_TASK_TIMEOUT_S})
      --max-output MIB      kill a command whose stdout + stderr pass this many MiB (default ${DEFAULT_MAX_OUTPUT_MIB})
      --host-key-checking strict|accept-new|off   (default accept-new, like OpenSSH's)
      --known-hosts FILE    default ~/.ssh/known_hosts
      --records FILE        the run record (default ~/.local/state/labplay/runs.db, or $LABPLAY_RECORDS)
      --no-records          do not record this run
      --wake                first send Wake-on-LAN packets to the hosts that do not answer (MACs
                            recorded by earlier runs; inventory vars wol_broadcast, wol_port)
      --wake-timeout SECONDS  how long to wait for woken hosts to answer SSH (default ${DEFAULT_WAKE_TIMEOUT_S})
      --stale               run only the roles whose inputs changed on a host since they last
                            succeeded there (kernel, image manifest, variables, role code)
      --vault-id [LABEL@]SOURCE  a vault password: a file, an executable that prints it, or 'prompt'
      --vault-password-file FILE  a vault password from a file or an executable (repeatable)
      --ask-vault-pass      ask for the vault password (also: $ANSIBLE_VAULT_PASSWORD_FILE)
      --start-at-task NAME  start each play at the first task of this name (role : task, or task)
      --step                ask before each task: (y)es, (n)o, (c)ontinue without asking
      --list-hosts | --list-tasks | --list-tags | --syntax-check
      --json [FILE.json|-]  machine-readable summary (stdout when no file is given)
  -v, -vv, -vvv             more output (-vvv shows stack traces)
  -h, --help | --version

Settings not given here come from ansible.cfg and ANSIBLE_* variables, found as Ansible finds them
($ANSIBLE_CONFIG, ./ansible.cfg, ~/.ansible.cfg, /etc/ansible/ansible.cfg); -v names the file used.

Exit codes: 0 ok, 2 a host failed, 4 a host unreachable (none failed), 5 bad input, 99 interrupted.
`
