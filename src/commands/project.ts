import { inventorySources, type InventoryNeed } from '../inventory/default.ts'
import type { Inventory } from '../inventory/types.ts'
import type { LoadOptions } from '../inventory/sources.ts'
import { RUN_OPTIONS } from '../options.ts'
import { terminalText } from '../output/terminal-text.ts'
import type { Keyring } from '../vault/keyring.ts'

// The vault rows of a subcommand's table: the run's own, so each command takes the passwords as a run does.
export const VAULT_OPTIONS = {
  vaultIds: RUN_OPTIONS.vaultIds,
  vaultPasswordFiles: RUN_OPTIONS.vaultPasswordFiles,
  askVaultPass: RUN_OPTIONS.askVaultPass,
}

export { VAULT_CONFLICTS } from '../options.ts'

// What a subcommand was given for the project: -i's sources and the vault options.
export interface ProjectValues {
  inventory: string[]
  vaultIds: string[]
  vaultPasswordFiles: string[]
  askVaultPass: boolean
}

// The Ansible project as a subcommand reads it.
export interface Project {
  sources: string[]
  // The vault passwords, read on first use and once (one prompt however often the inventory is read).
  vault(): Promise<Keyring>
  load(opts?: Pick<LoadOptions, 'playbookDir' | 'lockedVars'>): Promise<Inventory>
}

// What a run reads, for a subcommand: ansible.cfg (its warnings on stderr, as a run prints them), the inventory
// by the one rule (src/inventory/default.ts), and the vault passwords from the command line, $ANSIBLE_VAULT_*
// and ansible.cfg's vault_password_file / vault_identity_list.
export async function openProject(o: ProjectValues, need: InventoryNeed, cwd = process.cwd()): Promise<Project> {
  const [{ loadAnsibleConfig }, { vaultConfig }] = await Promise.all([import('../config/ansible-cfg.ts'), import('../config/apply.ts')])
  const { settings, warnings } = loadAnsibleConfig({ cwd, env: process.env })
  const warn = (text: string) => void process.stderr.write(terminalText(`[WARNING]: ${text}\n`))
  for (const warning of warnings) warn(warning)
  const sources = inventorySources({ given: o.inventory, configured: settings.inventory?.value }, cwd, need, warn)
  let keyring: Promise<Keyring> | undefined
  const vault = () => (keyring ??= import('../vault/passwords.ts').then(({ commandKeyring }) =>
    commandKeyring({ vaultIds: o.vaultIds, passwordFiles: o.vaultPasswordFiles, askVaultPass: o.askVaultPass }, cwd, vaultConfig(settings))))
  const load = async (opts: Pick<LoadOptions, 'playbookDir' | 'lockedVars'> = {}) =>
    (await import('../inventory/sources.ts')).loadInventory(sources, { cwd, vault: await vault(), ...opts })
  return { sources, vault, load }
}
