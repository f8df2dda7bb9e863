import type { ScalarTag } from 'yaml'
import { parseEnvelope, VaultFormatError } from './format.ts'
import type { Keyring } from './keyring.ts'
import { Vaulted } from './value.ts'

// YAML's `!vault |` scalar (ansible-vault encrypt_string): a Vaulted value decrypted with `keyring` when used.
// Data that is not a vault envelope at all is a YAML error where it is written.
export function vaultTag(keyring: Keyring): ScalarTag {
  return {
    tag: '!vault',
    identify: (value) => value instanceof Vaulted,
    resolve: (text, onError) => {
      try {
        parseEnvelope(text)
      } catch (err) {
        if (!(err instanceof VaultFormatError)) throw err
        onError(`!vault value: ${err.message}`)
      }
      return new Vaulted(text, keyring)
    },
  }
}
