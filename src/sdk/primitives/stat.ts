import { quote } from '../quote.ts'
import { StepError } from '../outcome.ts'

// What one stat line says about a path (ids and names both, so owners compare either way).
export interface PathState {
  kind: 'absent' | 'file' | 'directory' | 'link' | 'other'
  mode: number
  uid: string
  user: string
  gid: string
  group: string
  size: number
}

// One line a probe prints for a path, or "absent"; `follow` reads through a symlink (directories), files do not.
export function statCommand(path: string, follow: boolean): string {
  const test = follow ? `[ -e "$p" ]` : `{ [ -e "$p" ] || [ -L "$p" ]; }`
  return [
    `p=${quote(path)}`,
    `${test} || { echo absent; exit 0; }`,
    `stat ${follow ? '-L ' : ''}--printf '%F\\t%a\\t%u\\t%U\\t%g\\t%G\\t%s\\n' -- "$p" || exit 1`,
  ].join('\n')
}

// Reads the line statCommand printed.
export function parseStat(line: string): PathState {
  if (line.trim() === 'absent') return { kind: 'absent', mode: 0, uid: '', user: '', gid: '', group: '', size: 0 }
  const [type, mode, uid, user, gid, group, size] = line.split('\t')
  if (size === undefined) throw new StepError(`unexpected probe output: ${JSON.stringify(line.slice(0, 200))}`)
  const kind = type.startsWith('regular') ? 'file' : type === 'directory' ? 'directory' : type === 'symbolic link' ? 'link' : 'other'
  return { kind, mode: parseInt(mode, 8), uid, user, gid, group, size: Number(size) }
}
