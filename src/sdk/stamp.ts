import { quote } from './quote.ts'

// What was learnt about a big file (its sha256, qemu-img check's verdict) is kept beside it as `.<name>.<kind>`,
// keyed by the file's size, mtime and inode: a write changes one of them, a rename keeps all three. A sha256
// stamp is the line `<sha256> <key>` (checksum.ts reads and writes it).
export function stampPath(file: string, kind = 'sha256'): string {
  const slash = file.lastIndexOf('/')
  return `${file.slice(0, slash + 1)}.${file.slice(slash + 1)}.${kind}`
}

// `stat -c` format of a stamp's key: size, mtime to the nanosecond, inode.
export const STAMP_KEY = '%s %.9Y %i'

// The same key read on the controller (node's bigint stat), as `stat -c STAMP_KEY` prints it.
export function stampKeyOf(st: { size: bigint; mtimeNs: bigint; ino: bigint }): string {
  const ns = String(st.mtimeNs % 1_000_000_000n).padStart(9, '0')
  return `${st.size} ${st.mtimeNs / 1_000_000_000n}.${ns} ${st.ino}`
}

// Prints the key of `file`, shell text already (a quoted path or "$p").
export function stampKeyCommand(file: string): string {
  return `stat -c ${quote(STAMP_KEY)} -- ${file}`
}

// Renames a file and carries its sha256 stamp along, so the moved file is not hashed again; a stamp the target
// had from an older file goes.
export function renameWithStamp(from: string, to: string): string {
  const [stampFrom, stampTo] = [quote(stampPath(from)), quote(stampPath(to))]
  return `mv -f -- ${quote(from)} ${quote(to)} && { mv -f -- ${stampFrom} ${stampTo} 2>/dev/null || rm -f -- ${stampTo}; }`
}
