import { createDecipheriv, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto'

// What ansible-vault writes: `$ANSIBLE_VAULT;1.1;AES256` (1.2 adds `;label`), then lines of hex.
export const VAULT_HEADER = '$ANSIBLE_VAULT'

// A parsed vault envelope; the label is 1.2's vault id (`--vault-id label@…` made it).
export interface Envelope {
  version: '1.1' | '1.2'
  label?: string
  salt: Buffer
  hmac: Buffer
  ciphertext: Buffer
}

// A vault text that cannot be read, or cannot be decrypted with a password that matches it.
export class VaultFormatError extends Error {}

// Whether text is ansible-vault data (a whole encrypted file, or a `!vault` value).
export function isVaultText(text: string): boolean {
  return text.trimStart().startsWith(VAULT_HEADER)
}

// Reads the envelope as Ansible's parse_vaulttext_envelope and parse_vaulttext do; throws VaultFormatError.
export function parseEnvelope(text: string): Envelope {
  const [first = '', ...rest] = text.trim().split(/\r?\n/)
  const header = first.trim().split(';').map((part) => part.trim())
  if (header[0] !== VAULT_HEADER) throw new VaultFormatError(`expected a '${VAULT_HEADER};…' header, got ${JSON.stringify(first.slice(0, 40))}`)
  const [, version, cipher, label] = header
  if (version !== '1.1' && version !== '1.2') throw new VaultFormatError(`vault format ${version ?? '(none)'} is not supported, expected 1.1 or 1.2`)
  if (cipher !== 'AES256') throw new VaultFormatError(`cipher ${cipher ?? '(none)'} is not supported, expected AES256`)
  const outer = unhex(rest.map((line) => line.trim()).join(''), 'the vault data').toString('latin1')
  const parts = outer.split('\n')
  if (parts.length !== 3) throw new VaultFormatError('the vault data does not hold a salt, an HMAC and a ciphertext')
  const [salt, hmac, ciphertext] = parts.map((part, i) => unhex(part, ['the salt', 'the HMAC', 'the ciphertext'][i]!))
  return { version, ...(label ? { label } : {}), salt: salt!, hmac: hmac!, ciphertext: ciphertext! }
}

// The plaintext, or undefined when the password is not the one (the HMAC does not match): VaultAES256.decrypt.
export function decryptEnvelope(envelope: Envelope, password: Buffer): Buffer | undefined {
  const derived = pbkdf2Sync(password, envelope.salt, 10000, 80, 'sha256')
  const key = derived.subarray(0, 32)
  const hmacKey = derived.subarray(32, 64)
  const iv = derived.subarray(64, 80)
  const expected = createHmac('sha256', hmacKey).update(envelope.ciphertext).digest()
  if (expected.length !== envelope.hmac.length || !timingSafeEqual(expected, envelope.hmac)) return undefined
  const decipher = createDecipheriv('aes-256-ctr', key, iv)
  const padded = Buffer.concat([decipher.update(envelope.ciphertext), decipher.final()])
  const pad = padded.at(-1) ?? 0
  if (pad < 1 || pad > 16 || pad > padded.length || !padded.subarray(padded.length - pad).every((b) => b === pad))
    throw new VaultFormatError('the decrypted data has no valid PKCS#7 padding')
  return padded.subarray(0, padded.length - pad)
}

function unhex(text: string, what: string): Buffer {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) throw new VaultFormatError(`${what} is not hexadecimal`)
  return Buffer.from(text, 'hex')
}
