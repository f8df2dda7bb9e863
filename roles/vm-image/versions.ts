import { isImageName } from 'labplay'

// The registry file's lines, oldest first; lines that could not name a version file are dropped.
export function parseRegistry(text: string): string[] {
  return [...new Set(text.split('\n').map((line) => line.trim()).filter(isImageName))]
}

// One version a line, oldest first, as parseRegistry reads it.
export function formatRegistry(versions: string[]): string {
  return versions.map((v) => `${v}\n`).join('')
}

// Making a version current makes it the most recent one, also when it comes back after a rollback.
export function recordCurrent(versions: string[], current: string): string[] {
  return [...versions.filter((v) => v !== current), current]
}

// Versions past the `keep` most recent (the current one counts and is never among them), oldest first.
export function expired(versions: string[], current: string, keep: number): string[] {
  const others = versions.filter((v) => v !== current)
  return others.slice(0, Math.max(0, others.length - (keep - 1)))
}

// Lines "/proc/<pid>/fd\t<link target>" (find's %h and %l, one per open fd) → the pids holding `path` open.
export function holdingPids(listing: string, path: string): number[] {
  const pids = new Set<number>()
  for (const line of listing.split('\n')) {
    const tab = line.indexOf('\t')
    const pid = /^\/proc\/(\d+)\/fd$/.exec(line.slice(0, tab))?.[1]
    if (tab > 0 && pid && line.slice(tab + 1) === path) pids.add(Number(pid))
  }
  return [...pids]
}
