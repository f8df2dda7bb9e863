import { decryptEnvelope, parseEnvelope, VaultFormatError } from './format.ts'

// Ansible's vault id for a password given without a label (--vault-password-file, --ask-vault-pass).
export const DEFAULT_LABEL = 'default'

// One vault password and where it came from (for messages: never the password itself).
export interface VaultSecret {
  label: string
  password: Buffer
  source: string
}

// Why vault data could not be decrypted; callers add the file, line and variable.
export class VaultError extends Error {}
// No password given opens the data (none given, or none of them: a wrong password and a changed HMAC look alike).
export class VaultLockedError extends VaultError {}

const HOW = 'give the password with --ask-vault-pass, --vault-password-file FILE or --vault-id LABEL@SOURCE'

// The vault passwords of a run. Decrypts as Ansible's VaultLib does: the passwords whose label is the
// data's (1.2) first, then every other one; each piece of data once.
export class Keyring {
  private readonly plain = new Map<string, string>()

  constructor(readonly secrets: readonly VaultSecret[] = []) {}

  // The plaintext of vault data (UTF-8); throws VaultError.
  decrypt(text: string): string {
    const known = this.plain.get(text)
    if (known !== undefined) return known
    if (this.secrets.length === 0) throw new VaultLockedError(`it is encrypted with ansible-vault and no vault password was given: ${HOW}`)
    let envelope
    try {
      envelope = parseEnvelope(text)
    } catch (err) {
      if (err instanceof VaultFormatError) throw new VaultError(`it is not readable vault data: ${err.message}`)
      throw err
    }
    const label = envelope.label
    const ordered = [...this.secrets.filter((s) => s.label === label), ...this.secrets.filter((s) => s.label !== label)]
    for (const secret of ordered) {
      let bytes: Buffer | undefined
      try {
        bytes = decryptEnvelope(envelope, secret.password)
      } catch (err) {
        if (err instanceof VaultFormatError) continue
        throw err
      }
      if (!bytes) continue
      let plaintext: string
      try {
        plaintext = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
      } catch {
        throw new VaultError('its decrypted content is not UTF-8 text')
      }
      this.plain.set(text, plaintext)
      return plaintext
    }
    const tried = [...new Set(this.secrets.map((s) => s.label))].join(', ')
    throw new VaultLockedError(`no vault password given decrypts it (${label ? `it was encrypted for vault id '${label}'; ` : ''}tried: ${tried}), or its HMAC does not match (the data was changed)`)
  }
}
