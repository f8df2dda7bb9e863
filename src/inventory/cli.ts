import { writeFileSync } from 'node:fs'
import { openProject, VAULT_OPTIONS } from '../commands/project.ts'
import { InputError } from '../errors.ts'
import { jsonSafe, terminalText } from '../output/terminal-text.ts'
import { flag, parseTable, text } from '../option-table.ts'
import { RUN_OPTIONS, VAULT_CONFLICTS } from '../options.ts'
import { mergeVars, parseExtraVars } from '../playbook/index.ts'
import { VaultError } from '../vault/keyring.ts'
import { showGraph, showHost, showList } from './show.ts'

export const INVENTORY_USAGE = `usage: labplay inventory --list | --host HOST | --graph [GROUP] [options]

What the inventory says, as ansible-inventory prints it: --list and --host as the same JSON (variables
as written, templates unrendered, !vault values as {"__ansible_vault": …}), --graph as the same tree.
Secrets are masked: *_password-like values written in clear, and everything from an encrypted file.

      --list                every group (its own hosts and children) and _meta.hostvars
      --host HOST           one host's variables
      --graph [GROUP]       the groups under GROUP (default all) as a tree; --vars adds variables
  -i, --inventory SRC       inventory file, folder or "h1,h2," (repeatable; default as for a run: ansible.cfg's,
                            else ./inventory, else /etc/ansible/hosts)
      --playbook-dir DIR    group_vars/ and host_vars/ beside a playbook in DIR, as a run reads them
                            (default: the current folder's, as ansible-inventory)
  -e, --extra-vars VARS     k=v, JSON/YAML or @file (repeatable), shown on top of each host's variables
      --vault-id [LABEL@]SOURCE, --vault-password-file FILE, --ask-vault-pass   vault passwords, as for a run
      --output FILE         write there instead of stdout
  -h, --help
`

// The table's own rows, the run's for -i and -e, and the vault rows every command shares; INVENTORY_USAGE is its --help.
const OPTIONS = {
  list: flag(['--list']),
  host: text(['--host'], 'HOST', ''),
  graph: flag(['--graph']),
  vars: flag(['--vars']),
  inventories: RUN_OPTIONS.inventories,
  playbookDir: text(['--playbook-dir'], 'DIR', ''),
  extraVars: RUN_OPTIONS.extraVars,
  ...VAULT_OPTIONS,
  output: text(['--output'], 'FILE', ''),
  help: flag(['-h', '--help']),
}

// `labplay inventory …` → exit code (bad input throws InputError: exit 5).
export async function main(argv: string[]): Promise<number> {
  const { values: o, positionals } = parseTable(OPTIONS, argv, 'labplay inventory --help', VAULT_CONFLICTS)
  if (o.help) return write(INVENTORY_USAGE)
  const actions = [o.list, o.host !== undefined, o.graph].filter(Boolean).length
  if (actions !== 1) throw new InputError('expected exactly one of --list, --host HOST, --graph [GROUP] (see labplay inventory --help)')
  if (positionals.length > (o.graph ? 1 : 0)) throw new InputError(`unexpected argument '${positionals.at(-1)}' (see labplay inventory --help)`)
  const cwd = process.cwd()
  // As ansible-inventory: ansible.cfg's (or $ANSIBLE_INVENTORY's) inventory when no -i, its vault settings too;
  // the inventory a run would read (src/inventory/default.ts).
  const project = await openProject({ ...o, inventory: o.inventories }, 'required', cwd)
  const vault = await project.vault()
  // As ansible-inventory: host variables include group_vars/ and host_vars/ of the current folder (its default
  // playbook folder); a group's own variables (--graph --vars) those of --playbook-dir only.
  const playbookDir = o.playbookDir
  // As ansible-inventory: --graph without --vars reads no variables, so an encrypted vars file needs no password.
  const inventory = await project.load({ playbookDir: playbookDir ?? cwd, ...(o.graph && !o.vars ? { lockedVars: () => undefined } : {}) })
  const extraVars = mergeVars(...o.extraVars.map((e) => parseExtraVars(e, cwd, vault)))
  let out: string
  try {
    // Names and values come from inventory files: on stdout the graph crosses the terminal boundary and the JSON
    // listings get its characters \u-escaped (still the same data); --output keeps the bytes.
    out = o.list ? showList(inventory, extraVars) : o.host !== undefined ? showHost(inventory, o.host, extraVars, cwd) : showGraph(inventory, positionals[0] ?? 'all', { vars: o.vars, playbookGroupVars: playbookDir !== undefined }, extraVars)
  } catch (err) {
    if (err instanceof VaultError) throw new InputError(`a !vault value: ${err.message}`)
    throw err
  }
  if (o.output === undefined) return write(o.graph ? terminalText(out) : jsonSafe(out))
  writeFileSync(o.output, out)
  return 0
}

function write(text: string): number {
  process.stdout.write(text)
  return 0
}
