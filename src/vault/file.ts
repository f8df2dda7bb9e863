import { InputError, type Place } from '../errors.ts'
import { revealed } from '../revealed.ts'
import { isVaultText } from './format.ts'
import { Keyring, VaultError, VaultLockedError } from './keyring.ts'

// A file no vault password given opens: a reader that needs no variables may go on without it.
export class LockedVaultFileError extends InputError {}

// The text of a file that may be encrypted whole with ansible-vault (group_vars, vars_files, `-e @file`):
// decrypted with the run's passwords, or an InputError at `place` saying why not (`subject` names the file
// when `place` is elsewhere: the vars_files entry that names it).
export function openVaultFile(text: string, keyring: Keyring | undefined, place: Place, subject?: string): { text: string; encrypted: boolean } {
  if (!isVaultText(text)) return { text, encrypted: false }
  try {
    return { text: (keyring ?? new Keyring()).decrypt(text), encrypted: true }
  } catch (err) {
    const message = `${subject ? `${subject}: cannot decrypt it` : 'cannot decrypt this file'}: ${(err as Error).message}`
    if (err instanceof VaultLockedError) throw new LockedVaultFileError(message, place)
    if (err instanceof VaultError) throw new InputError(message, place)
    throw err
  }
}

// Every value of a decrypted file is a secret: each string and number in it is masked from then on.
export function revealAll(value: unknown): void {
  if (typeof value === 'string' || typeof value === 'number') revealed(value)
  else if (Array.isArray(value)) value.forEach(revealAll)
  else if (value && typeof value === 'object') Object.values(value).forEach(revealAll)
}
