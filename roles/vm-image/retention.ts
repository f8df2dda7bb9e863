import type { Host } from 'labplay'
import { registryPath, type Settings } from './settings.ts'
import { imagePath, stampPaths } from './verify.ts'
import { expired, formatRegistry, holdingPids, parseRegistry, recordCurrent } from './versions.ts'

async function readRegistry(h: Host, s: Settings): Promise<string[]> {
  const out = await h.probe`cat -- ${registryPath(s)} 2>/dev/null`
  return parseRegistry(out.code === 0 ? out.stdout : '')
}

async function writeRegistry(h: Host, s: Settings, versions: string[]): Promise<void> {
  await h.file(registryPath(s), { content: formatRegistry(versions), mode: '0644', owner: 'root', group: 'root' })
}

// The current version becomes the most recent one the role knows; only known versions are ever removed.
export async function recordVersion(h: Host, s: Settings): Promise<void> {
  const known = await readRegistry(h, s)
  const next = recordCurrent(known, s.image.version)
  if (next.join('\n') !== known.join('\n')) await writeRegistry(h, s, next)
}

// Versions past images_keep go, unless a process (a running VM) holds the file: that one stays, with a warning.
// The versions left on disk go to the run record, so `labplay image rollback` knows who needs no transfer.
export async function removeOldVersions(h: Host, s: Settings): Promise<void> {
  const known = await readRegistry(h, s)
  const left = await removeExpired(h, s, known)
  // Check mode removes nothing: the disk still holds every known version.
  h.state('images', recordCurrent(h.check ? known : left, s.image.version).join(' '))
}

// The registry's versions that are still on disk afterwards.
async function removeExpired(h: Host, s: Settings, known: string[]): Promise<string[]> {
  const old = expired(known, s.image.version, s.keep)
  if (old.length === 0) return known
  const files = old.map((v) => imagePath(s, v))
  const out = await h.probe`for p in ${files}; do printf '%s\t%s\n' "$p" "$(readlink -e -- "$p")"; done
echo --
find /proc/[0-9]*/fd -mindepth 1 -maxdepth 1 -type l -printf '%h\t%l\n' 2>/dev/null
true`
  if (out.code !== 0) h.fail(`cannot look for processes holding old images: ${out.stderr.trim()}`)
  const [resolvedText = '', listing = ''] = out.stdout.split('--\n')
  const resolved = new Map(resolvedText.split('\n').filter(Boolean).map((line) => line.split('\t') as [string, string]))

  const keep = new Set(known)
  for (const [i, version] of old.entries()) {
    const file = files[i]!
    const real = resolved.get(file)
    if (real) {
      const pids = holdingPids(listing, real)
      if (pids.length > 0) {
        h.warn(`kept ${file}: version ${version} is in use by ${await describe(h, pids)}`)
        continue
      }
      await h.run`rm -f -- ${file} ${stampPaths(file)}`
      if (!h.check) h.changed(`removed ${file} (version ${version})`)
    }
    keep.delete(version)
  }
  const left = known.filter((v) => keep.has(v))
  if (keep.size !== known.length) await writeRegistry(h, s, left)
  return left
}

// "pid 812 (qemu-system-x86)", as an admin would look it up.
async function describe(h: Host, pids: number[]): Promise<string> {
  const out = await h.probe`for pid in ${pids}; do printf 'pid %s (%s)\n' "$pid" "$(cat /proc/$pid/comm 2>/dev/null)"; done`
  return out.stdout.trim().split('\n').join(', ')
}
