import { InputError } from './errors.ts'
import type { HostKeyChecking } from './connection/types.ts'
import { DEFAULT_MAX_OUTPUT_BYTES, MAX_OUTPUT_BYTES } from './connection/output-limit.ts'
import { counted, flag, helpLines, list, maybeValue, oneOf, parseTable, text, whole, type Conflict, type Parsed } from './option-table.ts'

// Chosen for a 250-host lab: ssh setup is cheap on the controller, so 50 hosts connect per wave.
export const DEFAULT_FORKS = 50
export const DEFAULT_CONNECT_TIMEOUT_S = 10
export const DEFAULT_TASK_TIMEOUT_S = 600
export const DEFAULT_MAX_OUTPUT_MIB = DEFAULT_MAX_OUTPUT_BYTES / (1024 * 1024)
const MAX_OUTPUT_MIB = MAX_OUTPUT_BYTES / (1024 * 1024)
// A PC that boots from its disk answers SSH within a minute or two: three is a bound, not an estimate.
export const DEFAULT_WAKE_TIMEOUT_S = 180

const HOST_KEY_CHECKING: readonly HostKeyChecking[] = ['strict', 'accept-new', 'off']

// Every option of a run, once: spellings (ansible-playbook's), default, checks and --help line, in --help order.
export const RUN_OPTIONS = {
  inventories: list(['-i', '--inventory'], 'SRC', 'inventory file, folder or "h1,h2," (repeatable; default ./inventory)'),
  limit: text(['-l', '--limit'], 'PATTERN', 'only these hosts (Ansible pattern, or @file such as site.retry)'),
  tags: list(['-t', '--tags'], 'TAGS', 'only tasks with these tags (every role is tagged with its name)', splitTags),
  skipTags: list(['--skip-tags'], 'TAGS', 'leave out tasks with these tags', splitTags),
  check: flag(['-C', '--check'], 'change nothing; report what would change'),
  diff: flag(['-D', '--diff'], 'show a unified diff of every file change'),
  forks: whole(['-f', '--forks'], 'N', 'steps (a task on a host) running at once over all hosts', DEFAULT_FORKS),
  extraVars: list(['-e', '--extra-vars'], 'VARS', 'k=v pairs, JSON/YAML, or @file (repeatable; highest precedence)'),
  user: text(['-u', '--user'], 'USER', 'remote user when the inventory sets no ansible_user'),
  privateKey: text(['--private-key', '--key-file'], 'FILE', 'ssh key when the inventory sets no ansible_ssh_private_key_file'),
  become: flag(['-b', '--become'], 'run as root through sudo'),
  becomeUser: text(['--become-user'], 'USER', 'run as this user through sudo (default root)'),
  askBecomePass: flag(['-K', '--ask-become-pass'], 'ask for the sudo password (never shown, never logged)'),
  connectTimeoutS: whole(['-T', '--timeout'], 'SECONDS', 'ssh connect timeout', DEFAULT_CONNECT_TIMEOUT_S),
  taskTimeoutS: whole(['--task-timeout'], 'SECONDS', 'kill a command that runs longer', DEFAULT_TASK_TIMEOUT_S),
  // Cap on one command's stdout + stderr, in MiB (src/connection/output-limit.ts).
  maxOutputMiB: whole(['--max-output'], 'MIB', 'kill a command whose stdout + stderr pass this many MiB', DEFAULT_MAX_OUTPUT_MIB, { value: MAX_OUTPUT_MIB, unit: 'MiB' }),
  hostKeyChecking: oneOf(['--host-key-checking'], HOST_KEY_CHECKING, 'accept-new', "(default accept-new, like OpenSSH's)"),
  knownHosts: text(['--known-hosts'], 'FILE', 'default ~/.ssh/known_hosts'),
  // The run record: another file (--records), or none (--no-records); see src/records/path.ts.
  records: text(['--records'], 'FILE', 'the run record (default ~/.local/state/labplay/runs.db, or $LABPLAY_RECORDS)'),
  noRecords: flag(['--no-records'], 'do not record this run'),
  // Wake-on-LAN before the run (src/wake/): hosts that do not answer, waited for this many seconds.
  wake: flag(['--wake'], 'first send Wake-on-LAN packets to the hosts that do not answer (MACs\nrecorded by earlier runs; inventory vars wol_broadcast, wol_port)'),
  wakeTimeoutS: whole(['--wake-timeout'], 'SECONDS', 'how long to wait for woken hosts to answer SSH', DEFAULT_WAKE_TIMEOUT_S),
  // Run only the roles whose inputs changed on a host since they last succeeded there (src/records/stale.ts).
  stale: flag(['--stale'], 'run only the roles whose inputs changed on a host since they last\nsucceeded there (kernel, image manifest, variables, role code)'),
  // ansible-vault passwords (src/vault/passwords.ts).
  vaultIds: list(['--vault-id'], '[LABEL@]SOURCE', "a vault password: a file, an executable that prints it, or 'prompt'"),
  vaultPasswordFiles: list(['--vault-password-file', '--vault-pass-file'], 'FILE', 'a vault password from a file or an executable (repeatable)'),
  askVaultPass: flag(['--ask-vault-pass', '--ask-vault-password'], 'ask for the vault password (also: $ANSIBLE_VAULT_PASSWORD_FILE)'),
  // Coming from Ansible: password login, the default connection, su or sudo, extra ssh arguments for every host,
  // and where and how tasks start. Unset ones may come from ansible.cfg (src/config/apply.ts).
  becomeMethod: text(['--become-method'], 'sudo|su', 'how to become (default sudo; su asks the become user\'s password)'),
  askPass: flag(['-k', '--ask-pass'], 'ask for the SSH login password (never shown, never logged)'),
  connection: text(['-c', '--connection'], 'ssh|local', 'connection for hosts that set no ansible_connection (default ssh)'),
  sshCommonArgs: text(['--ssh-common-args'], 'ARGS', 'ssh options for every host: -o K=V, -J JUMP, -p PORT, -i KEY, -F FILE'),
  sshExtraArgs: text(['--ssh-extra-args'], 'ARGS', 'likewise (ansible-playbook passes them to ssh only)'),
  startAtTask: text(['--start-at-task'], 'NAME', 'start each play at the first task of this name (role : task, or task)'),
  step: flag(['--step'], 'ask before each task: (y)es, (n)o, (c)ontinue without asking'),
  listHosts: flag(['--list-hosts'], '', '    --list-hosts | --list-tasks | --list-tags | --syntax-check'),
  listTasks: flag(['--list-tasks']),
  listTags: flag(['--list-tags']),
  syntaxCheck: flag(['--syntax-check']),
  // undefined: no JSON; '-': stdout instead of the human view; else a file path.
  json: maybeValue(['--json'], (next) => next === '-' || next.endsWith('.json'), '-', 'machine-readable summary (stdout when no file is given)', '    --json [FILE.json|-]'),
  verbosity: counted(['-v', '--verbose'], 'more output (-vvv shows stack traces)', '-v, -vv, -vvv'),
  help: flag(['-h', '--help'], '', '-h, --help | --version'),
  version: flag(['--version']),
}

// The vault rows' conflict, for a run and every subcommand that takes the vault options (src/commands/project.ts).
export const VAULT_CONFLICTS = [
  ['askVaultPass', 'vaultPasswordFiles', '--ask-vault-pass and --vault-password-file: give one or the other (or several --vault-id)'],
] as const satisfies ReadonlyArray<Conflict<typeof RUN_OPTIONS>>

const CONFLICTS: ReadonlyArray<Conflict<typeof RUN_OPTIONS>> = [
  ['records', 'noRecords', '--records and --no-records: give one or the other'],
  ['wake', 'noRecords', '--wake needs the run record (the MACs come from earlier runs): it cannot be used with --no-records'],
  ['stale', 'noRecords', '--stale compares with the run record: it cannot be used with --no-records'],
  ...VAULT_CONFLICTS,
]

// A run's options, as the table reads them, the playbook, and which of them argv gave (ansible.cfg fills the others).
export type Options = Parsed<typeof RUN_OPTIONS> & { playbook?: string; given: Set<keyof Options> }

// argv → Options, with ansible-playbook's spellings; anything unknown is an InputError (exit 5).
export function parseOptions(argv: string[]): Options {
  const { values, positionals, given } = parseTable(RUN_OPTIONS, argv, 'labplay --help', CONFLICTS)
  const [playbook, extra] = positionals
  if (extra !== undefined) throw new InputError(`unexpected argument '${extra}': labplay runs one playbook at a time`)
  if (!playbook && !values.help && !values.version) throw new InputError('no playbook given: labplay PLAYBOOK [options] (see labplay --help)')
  if (values.becomeMethod !== undefined) checkBecomeMethod(values.becomeMethod, '--become-method')
  if (values.connection !== undefined) checkConnection(values.connection, '--connection')
  return { ...values, playbook, given }
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

// --help: the subcommands' names, then the table's lines between what labplay does and what its exit codes mean.
export const usage = (subcommands: readonly string[]): string => `usage: labplay PLAYBOOK [options]
       labplay ${subcommands.join('|')} [options]   (see labplay ${subcommands[0]} --help)

Runs a playbook (a path, or a name looked up in ./playbooks/) on the hosts of an inventory.

${helpLines(RUN_OPTIONS, 28)}
Settings not given here come from ansible.cfg and ANSIBLE_* variables, found as Ansible finds them
($ANSIBLE_CONFIG, ./ansible.cfg, ~/.ansible.cfg, /etc/ansible/ansible.cfg); -v names the file used.

Exit codes: 0 ok, 2 a host failed, 4 a host unreachable (none failed), 5 bad input, 99 interrupted.
`
