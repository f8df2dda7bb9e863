import { InputError } from '../errors.ts'
import { checkBecomeMethod, checkConnection, type Options } from '../options.ts'
import type { AnsibleSettings, Setting } from './ansible-cfg.ts'

// What ansible.cfg decides that is not a command-line option.
export interface ConfigExtras {
  // Folders searched for roles before the playbook's own roles/ (roles_path).
  rolesPath: string[]
  // Whether the retry file is written, and in which folder (default: beside the playbook).
  retryFiles: boolean
  retryDir?: string
  // ssh_args: ssh options for every host, read before ssh_common_args and the inventory's.
  sshArgs?: string
  // ansible.cfg's vault_password_file and vault_identity_list, when it sets either.
  vault?: { passwordFile?: string; identityList?: string[] }
}

// Fills every option the command line did not give from ansible.cfg / ANSIBLE_*, as ansible-playbook
// does (the command line wins, then the environment, then the file). labplay keeps its own defaults
// where Ansible's differ and nothing is set (forks 50, retry files on). Its inventory is not an option filled in
// here: src/inventory/default.ts decides, for every command, when it is read.
export function applyAnsibleConfig(o: Options, s: AnsibleSettings): ConfigExtras {
  const unset = (key: keyof Options) => !o.given.has(key)
  if (unset('user') && s.remoteUser) o.user = s.remoteUser.value
  if (unset('privateKey') && s.privateKeyFile) o.privateKey = s.privateKeyFile.value
  if (unset('forks') && s.forks) o.forks = atLeastOne(s.forks, 'forks')
  if (unset('connectTimeoutS') && s.timeout) o.connectTimeoutS = atLeastOne(s.timeout, 'timeout')
  if (unset('hostKeyChecking') && s.hostKeyChecking?.value === false) o.hostKeyChecking = 'off'
  if (unset('askPass') && s.askPass) o.askPass = s.askPass.value
  if (unset('connection') && s.transport) o.connection = checked(s.transport, 'transport', checkConnection)
  if (unset('become') && s.become) o.become = s.become.value
  if (unset('becomeMethod') && s.becomeMethod) o.becomeMethod = checked(s.becomeMethod, 'become_method', checkBecomeMethod)
  if (unset('becomeUser') && s.becomeUser) o.becomeUser = s.becomeUser.value
  if (unset('askBecomePass') && s.becomeAskPass) o.askBecomePass = s.becomeAskPass.value
  if (unset('sshCommonArgs') && s.sshCommonArgs) o.sshCommonArgs = s.sshCommonArgs.value
  if (unset('sshExtraArgs') && s.sshExtraArgs) o.sshExtraArgs = s.sshExtraArgs.value
  return {
    rolesPath: s.rolesPath?.value ?? [],
    retryFiles: s.retryFilesEnabled?.value ?? true,
    retryDir: s.retryFilesSavePath?.value,
    sshArgs: s.sshArgs?.value,
    vault: vaultConfig(s),
  }
}

// ansible.cfg's vault settings as the vault's commandKeyring takes them (undefined when it sets none).
export function vaultConfig(s: AnsibleSettings): ConfigExtras['vault'] {
  return s.vaultPasswordFile || s.vaultIdentityList ? { passwordFile: s.vaultPasswordFile?.value, identityList: s.vaultIdentityList?.value } : undefined
}

function atLeastOne(setting: Setting<number>, name: string): number {
  if (setting.value < 1) throw new InputError(`${name}: expected a whole number of at least 1, got ${setting.value}`, setting.place)
  return setting.value
}

function checked(setting: Setting<string>, name: string, check: (value: string, name: string) => void): string {
  try {
    check(setting.value, name)
  } catch (err) {
    if (err instanceof InputError) throw new InputError(err.message, setting.place)
    throw err
  }
  return setting.value
}
