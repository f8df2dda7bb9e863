import type { ScalarTag } from 'yaml'
import type { Keyring } from './keyring.ts'
import { Vaulted } from './value.ts'

// YAML's `!vault |` scalar (ansible-vault encrypt_string): a Vaulted value decrypted with `keyring` when used.
export function vaultTag(keyring: Keyring): ScalarTag {
  return {
    tag: '!vault',
    identify: (value) => value instanceof Vaulted,
    resolve: (text) => new Vaulted(text, keyring),
  }
}
