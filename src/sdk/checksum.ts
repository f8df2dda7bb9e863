import { quote } from './quote.ts'
import type { PrimitiveIO } from './primitives/types.ts'
import { StepError } from './outcome.ts'
import { stampKeyCommand, stampPath } from './stamp.ts'

export interface FileSum {
  sha256: string
  size: number
}

// The sha256 of a (multi-gigabyte) file, cached in its stamp (stamp.ts), so a rerun does not rehash an image
// that has not changed; in check mode the stamp is read but never written.
export async function checksum(io: PrimitiveIO, path: string): Promise<FileSum | undefined> {
  if (!path.startsWith('/')) throw new StepError(`checksum: expected an absolute path, got '${path}'`)
  const script = [
    `p=${quote(path)} s=${quote(stampPath(path))}`,
    '[ -f "$p" ] || { echo missing; exit 0; }',
    `key=$(${stampKeyCommand('"$p"')}) || exit 1`,
    'if [ -f "$s" ] && [ "$(cut -d" " -f2- "$s")" = "$key" ]; then cut -d" " -f1 "$s"; echo "$key"; exit 0; fi',
    'sum=$(sha256sum -- "$p" | cut -d" " -f1) || exit 1',
    io.check ? ':' : 'printf "%s %s\\n" "$sum" "$key" > "$s.tmp.$$" && mv -f "$s.tmp.$$" "$s" || rm -f "$s.tmp.$$"',
    'echo "$sum"; echo "$key"',
  ].join('\n')
  const out = await io.probe(script)
  if (out.code !== 0) throw new StepError(`checksum of ${path} failed: ${out.stderr.trim().slice(0, 300)}`)
  const [sum, key] = out.stdout.trim().split('\n')
  if (sum === 'missing') return undefined
  if (!sum || !/^[0-9a-f]{64}$/.test(sum)) throw new StepError(`checksum of ${path}: unexpected output '${out.stdout.trim().slice(0, 100)}'`)
  return { sha256: sum, size: Number(key?.split(' ')[0]) }
}
