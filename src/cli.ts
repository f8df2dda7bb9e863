import { setMaxListeners } from 'node:events'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { homedir, userInfo } from 'node:os'
import { basename, dirname, extname, join, resolve } from 'node:path'
import { InputError } from './errors.ts'
import { inventorySources } from './inventory/default.ts'
import { Redactor } from './engine/redact.ts'
import { terminalText } from './output/terminal-text.ts'
import { ROOT } from './root.ts'
import { parseOptions, usage, type Options } from './options.ts'
import type { RunOptions } from './engine/run.ts'
import type { Reporter } from './engine/events.ts'
import type { Play } from './playbook/index.ts'
import type { ConfigExtras } from './config/apply.ts'


// Secret values known so far (inventory, extra and play variables): masked in the error line too.
const secrets = new Redactor()

// Ctrl-C before the run starts leaves at once (nothing was touched); during the run, the first one
// finishes cleanly (no new steps, recap, exit 99) and a second one leaves at once.
const abort = new AbortController()
// Every running command on every host listens for the interrupt: hundreds at once is expected.
setMaxListeners(0, abort.signal)
let running = false
const onInterrupt = () => (running && !abort.signal.aborted ? abort.abort() : process.exit(99))
process.on('SIGINT', onInterrupt)
process.on('SIGTERM', onInterrupt)

// argv → exit code; the only place that decides how labplay ends.
async function main(argv: string[]): Promise<number> {
  const command = SUBCOMMANDS[argv[0] ?? '']
  if (command) return (await command()).main(argv.slice(1), { signal: abort.signal, takeInterrupts: () => void (running = true) })
  const o = parseOptions(argv)
  verbosity = o.verbosity
  if (o.help) return print(usage(Object.keys(SUBCOMMANDS)))
  if (o.version) return print(`labplay ${(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version}\n`)
  const playbook = findPlaybook(o.playbook!)
  const cwd = process.cwd()
  const config = await ansibleConfig(o, cwd)

  const [{ loadInventory }, { loadPlaybook, parseExtraVars, mergeVars }, { RoleCatalog, roleDirs }, { commandKeyring }] = await Promise.all([
    import('./inventory/index.ts'), import('./playbook/index.ts'), import('./engine/roles.ts'), import('./vault/passwords.ts'),
  ])
  const vault = await commandKeyring({ vaultIds: o.vaultIds, passwordFiles: o.vaultPasswordFiles, askVaultPass: o.askVaultPass }, cwd, config.vault)
  const playbookDir = dirname(playbook)
  const inventory = await loadInventory(inventorySources({ given: o.inventories, configured: config.inventory }, cwd, 'required'), { cwd, vault, playbookDir })
  // As ansible-playbook: an inventory without hosts is a warning, and the run matches nothing (exit 0).
  if (inventory.hosts.size === 0) say(process.stderr, "[WARNING]: provided hosts list is empty, only localhost is available. Note that the implicit localhost does not match 'all'\n")
  const varsDirs = [...inventory.varsDirs.inventory, ...inventory.varsDirs.playbook]
  for (const entry of [...inventory.groups.values(), ...inventory.hosts.values(), ...varsDirs.flatMap((d) => [...d.groups.values(), ...d.hosts.values()])]) secrets.addVars(literals(entry.vars))
  const extraVars = mergeVars(...o.extraVars.map((e) => parseExtraVars(e, cwd, vault)))
  secrets.addVars(literals(extraVars))
  const catalog = await RoleCatalog.load(roleDirs(playbook, config.rolesPath))
  const loaded = await loadPlaybook(playbook, catalog, vault)
  loaded.forEach((play) => secrets.addVars(literals(play.vars)))
  if (o.syntaxCheck) return print(`\nplaybook: ${playbook}\n`)

  const [{ preparePlay, playHosts }, { planPlay }, { templatePlay }] = await Promise.all([import('./engine/prepare.ts'), import('./engine/plan.ts'), import('./engine/play-fields.ts')])
  // hosts, name, serial and gather_facts written as templates are rendered first, as Ansible does.
  const plays = loaded.map((spec) => templatePlay(spec, { inventory, catalog, extraVars, playbookDir }))
  const base = {
    inventory, catalog, limit: o.limit, tags: o.tags, skipTags: o.skipTags, extraVars, cwd, playbookDir,
    user: o.user, privateKey: o.privateKey, become: o.become, becomeUser: o.becomeUser, becomeMethod: o.becomeMethod,
    connection: o.connection, sshArgs: config.sshArgs, sshCommonArgs: o.sshCommonArgs, sshExtraArgs: o.sshExtraArgs,
    knownHostsFile: o.knownHosts ?? join(homedir(), '.ssh', 'known_hosts'), knownHostsGiven: o.knownHosts !== undefined,
    hostKeyChecking: o.hostKeyChecking, hostKeyCheckingGiven: o.given.has('hostKeyChecking') || o.hostKeyChecking === 'off',
    connectTimeoutMs: o.connectTimeoutS * 1000, connectTimeoutGiven: o.given.has('connectTimeoutS') || config.timeoutSet,
  }
  if (o.listHosts || o.listTasks || o.listTags) {
    const { formatListing } = await import('./listing.ts')
    // Listing needs names and tasks only: no per-host variables are rendered (as ansible-playbook).
    const listed = plays.map((spec) => ({ spec, plan: planPlay(spec, catalog, o.tags, o.skipTags), hosts: playHosts(spec, base) }))
    return print(formatListing(playbook, listed, { hosts: o.listHosts, tasks: o.listTasks, tags: o.listTags }))
  }
  // Every play is validated against the inventory before the password prompt and before any host; -K's
  // answer is not known yet, but one will be given (become_method su needs it).
  plays.forEach((spec) => preparePlay(spec, { ...base, becomePassword: o.askBecomePass ? '' : undefined }))
  const { askSecret } = await import('./prompt.ts')
  const password = o.askPass ? await askSecret('SSH password: ') : undefined
  if (password) secrets.addVars({ ansible_password: password })
  // As ansible-playbook: with -k, an empty become password means the SSH password.
  const becomeAnswer = o.askBecomePass ? await askSecret(password ? 'BECOME password[defaults to SSH password]: ' : 'BECOME password: ') : undefined
  const becomePassword = becomeAnswer === '' && password ? password : becomeAnswer
  return run(o, playbook, plays, { ...base, password, becomePassword }, config)
}

// `labplay NAME …`: a subcommand is one entry here, a module whose main(argv) parses its own options
// (src/option-table.ts) and returns the exit code; --help lists the names. Loaded on demand: the record's
// SQLite binding costs start-up time that a playbook run without it does not pay. A subcommand that calls
// takeInterrupts() hears the first Ctrl-C on `signal` (image edit: the guest shuts down); a second leaves at once.
const SUBCOMMANDS: Record<string, () => Promise<{ main(argv: string[], run: { signal: AbortSignal; takeInterrupts: () => void }): Promise<number> }>> = {
  history: () => import('./commands/history.ts'),
  show: () => import('./commands/show.ts'),
  report: () => import('./commands/report.ts'),
  inventory: () => import('./inventory/cli.ts'),
  image: () => import('./commands/image.ts'),
}

// The run record's view of this run: where, and the command line with its secrets masked.
async function recorded(o: Options, argv: string[], playbook: string, reporter: Reporter): Promise<Reporter> {
  const path = (await import('./records/path.ts')).recordsPath(o)
  if (!path) return reporter
  const { createRecorder, commandLine } = await import('./records/recorder.ts')
  return createRecorder(reporter, {
    path, playbook, command: commandLine(argv, (s) => secrets.text(s), o.extraVars),
    user: process.env.SUDO_USER || userInfo().username, check: o.check, limit: o.limit, tags: o.tags,
    warn: (line) => say(process.stderr, line),
  })
}

type BaseOptions = Omit<RunOptions, 'playbook' | 'plays' | 'check' | 'diff' | 'forks' | 'timeoutMs' | 'verbosity' | 'reporter' | 'signal'>

async function run(o: Options, playbook: string, plays: Play[], base: BaseOptions, config: CliConfig): Promise<number> {
  const [{ runPlaybook }, output] = await Promise.all([import('./engine/run.ts'), import('./output/index.ts')])
  const toStdout = o.json !== '-'
  const tty = toStdout && process.stdout.isTTY === true
  // --stale reads the record before anything else (a missing record is bad input: exit 5, no host touched);
  // the options refuse --stale and --wake with --no-records, so both have a record path.
  const select = o.stale ? (await import('./records/stale.ts')).staleSelector((await import('./records/path.ts')).recordsPath(o)!) : undefined
  // --wake before the record and the live view start: bad --wake input leaves no run behind, and
  // Ctrl-C while waiting leaves at once (exit 99), since no host has been touched yet.
  if (o.wake) {
    const [{ wake, wakeHosts }, { recordsPath }] = await Promise.all([import('./wake/index.ts'), import('./records/path.ts')])
    const stream = toStdout ? process.stdout : process.stderr
    await wake(wakeHosts(plays, base), { records: recordsPath(o)!, timeoutS: o.wakeTimeoutS, signal: abort.signal, write: (line) => say(stream, line) })
  }
  const reporter = await recorded(o, process.argv.slice(2), playbook, output.createReporter({
    stream: toStdout ? process.stdout : process.stderr,
    // --step asks between tasks: plain lines, so the questions are not drawn over.
    tty: tty && !o.step,
    color: tty && !process.env.NO_COLOR,
    verbosity: o.verbosity,
    diff: o.diff,
  }))
  if (o.hostKeyChecking === 'off') process.stderr.write('[WARNING]: host key checking is off: labplay cannot tell these hosts from impostors\n')
  running = true
  try {
    const { summary, retry } = await runPlaybook({
      ...base, playbook, plays, check: o.check, diff: o.diff, forks: o.forks, timeoutMs: o.taskTimeoutS * 1000,
      maxOutputBytes: o.maxOutputMiB * 1024 * 1024,
      verbosity: o.verbosity, reporter, signal: abort.signal, select, startAtTask: o.startAtTask,
      confirm: o.step ? (await import('./step.ts')).stepper(process.stdin, process.stderr) : undefined,
    })
    await reporter.finish(summary)
    if (config.retryFiles) {
      const retryFile = join(config.retryDir ?? dirname(playbook), `${basename(playbook, extname(playbook))}.retry`)
      // As Ansible, retry_files_save_path is made when a retry file is due there.
      if (config.retryDir && retry.length) mkdirSync(config.retryDir, { recursive: true })
      await output.writeRetryFile(retryFile, retry).catch((err: Error) => say(process.stderr, `[WARNING]: could not write ${retryFile}: ${err.message}\n`))
      if (retry.length) say(process.stderr, `to retry, use: -l @${retryFile}\n`)
    }
    if (o.json) await output.writeJsonSummary(summary, o.json)
    return summary.exitCode
  } finally {
    running = false
  }
}

// A playbook is a path, or a name looked up in ./playbooks/ and then in labplay's own playbooks/.
function findPlaybook(name: string): string {
  if (existsSync(name)) return resolve(name)
  for (const dir of [join(process.cwd(), 'playbooks'), join(ROOT, 'playbooks')]) {
    for (const candidate of [name, `${name}.yml`, `${name}.yaml`]) {
      if (existsSync(join(dir, candidate))) return join(dir, candidate)
    }
  }
  throw new InputError(`playbook '${name}' not found (looked at ./${name} and in playbooks/)`)
}

type CliConfig = ConfigExtras & { timeoutSet: boolean; inventory?: string[] }

// ansible.cfg and ANSIBLE_* fill the options the command line left out; -v names the file, as ansible-playbook.
async function ansibleConfig(o: Options, cwd: string): Promise<CliConfig> {
  const [{ loadAnsibleConfig }, { applyAnsibleConfig }] = await Promise.all([import('./config/ansible-cfg.ts'), import('./config/apply.ts')])
  const config = loadAnsibleConfig({ cwd, env: process.env })
  const stream = o.json === '-' ? process.stderr : process.stdout
  for (const warning of config.warnings) say(process.stderr, `[WARNING]: ${warning}\n`)
  if (o.verbosity >= 1) say(stream, config.file ? `Using ${config.file} as config file\n` : 'No config file found; using defaults\n')
  return { ...applyAnsibleConfig(o, config.settings), timeoutSet: config.settings.timeout !== undefined, inventory: config.settings.inventory?.value }
}

// Values as written: a template is not a secret (its rendered value is, once rendered: src/revealed.ts).
function literals(vars: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(vars).filter(([, v]) => !(typeof v === 'string' && v.includes('{{'))))
}

// Every line the CLI writes outside the views (listings, errors, warnings) may quote an input file or a
// seat: it crosses the same boundary as the views' text.
function say(stream: NodeJS.WriteStream, text: string): void {
  stream.write(terminalText(text))
}

function print(text: string): number {
  say(process.stdout, text)
  return 0
}

// -v as the options counted it (-vvv shows stack traces); 0 until they are parsed.
let verbosity = 0
// Exit only once stdout has drained, so piped output is never cut short.
const exit = (code: number) => process.stdout.write('', () => process.exit(code))
main(process.argv.slice(2)).then(exit, (err: unknown) => {
  const input = err instanceof InputError
  say(process.stderr, secrets.text(`ERROR: ${input ? err.format() : err instanceof Error ? err.message : String(err)}\n`))
  if (verbosity >= 3 && err instanceof Error && err.stack) say(process.stderr, secrets.text(`${err.stack}\n`))
  exit(input ? 5 : 1)
})
