import { revealed } from '../revealed.ts'
import type { Keyring } from './keyring.ts'

// An inline `!vault |` value: kept encrypted until something uses it, then decrypted with the run's
// passwords (a VaultError when none of them can). Its plaintext is a secret from then on.
export class Vaulted {
  constructor(
    readonly ciphertext: string,
    private readonly keyring: Keyring,
  ) {}

  reveal(): string {
    const plain = this.keyring.decrypt(this.ciphertext)
    revealed(plain)
    return plain
  }

  // As ansible-inventory prints a vaulted value.
  toJSON(): { __ansible_vault: string } {
    return { __ansible_vault: this.ciphertext }
  }
}
