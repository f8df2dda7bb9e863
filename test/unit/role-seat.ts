import { createHash } from 'node:crypto'
import type { ExecResult } from '../../src/connection/types.ts'

// A seat as the SDK's primitives see it: the files, folders, links, packages, services and image checksums it
// holds, answering the probes that file(), directory(), absent(), symlink(), packages(), service() and
// sha256() send. Role tests describe a seat as data instead of scripting each primitive's reply (role-harness.ts).

export interface SeatFile {
  content: string
  mode?: string
  owner?: string
}

export interface Seat {
  files?: Record<string, string | SeatFile>
  // Folders that exist (0755 root:root unless given).
  dirs?: string[] | Record<string, string>
  links?: Record<string, string>
  // Installed Debian packages.
  packages?: string[]
  services?: Record<string, { running?: boolean; enabled?: boolean }>
  // What h.sha256 finds for files too big to hold as content (an image): its sum and size.
  sums?: Record<string, { sha256: string; size: number }>
}

// The seat's answer to a primitive's probe, or undefined when the command is not one.
export function seatAnswer(seat: Seat, command: string, init: 'systemd' | 'sysv'): ExecResult | undefined {
  const first = command.split('\n', 1)[0]!
  if (first.startsWith('p=')) return pathProbe(seat, command, word(first, 2))
  const absent = /^if \[ -e (.+?) \] \|\| \[ -L /.exec(first)
  if (absent) return ok(exists(seat, word(absent[1]!, 0)) ? 'present\n' : 'absent\n')
  if (first.startsWith('dpkg-query -W -f ')) return dpkg(seat, command)
  if (first.startsWith('n=')) return service(seat, command, word(first, 2), init)
  return undefined
}

const FILE_PROBE = '{ [ -e "$p" ] || [ -L "$p" ]; } || { echo absent; exit 0; }'
const DIRECTORY_PROBE = '[ -e "$p" ] || { echo absent; exit 0; }'

function pathProbe(seat: Seat, command: string, path: string): ExecResult | undefined {
  const second = command.split('\n', 2)[1]
  if (second?.startsWith('if [ -L "$p" ]; then echo link')) return ok(linkState(seat, path))
  if (second === '[ -f "$p" ] || { echo missing; exit 0; }') return ok(checksum(seat, path))
  if (second !== FILE_PROBE && second !== DIRECTORY_PROBE) return undefined
  const follow = second === DIRECTORY_PROBE
  const line = statLine(seat, path, follow)
  if (follow || !line.startsWith('regular')) return ok(`${line}\n`)
  const content = fileOf(seat, path)!.content
  const hash = command.includes('echo unhashed') ? 'unhashed' : `${sha256(content)}  -`
  return ok(`${line}\n${hash}\n${command.includes('echo content') ? `content\n${content}` : ''}`)
}

function statLine(seat: Seat, path: string, follow: boolean): string {
  const target = follow ? (seat.links?.[path] ?? path) : path
  const file = fileOf(seat, target)
  if (!follow && seat.links?.[path] !== undefined) return `symbolic link\t777\t0\troot\t0\troot\t${seat.links[path]!.length}`
  if (file) return `regular file\t${file.mode ?? '644'}\t${owner(file.owner)}\t${Buffer.byteLength(file.content)}`
  const dir = dirMode(seat, target)
  if (dir !== undefined) return `directory\t${dir}\t0\troot\t0\troot\t4096`
  return 'absent'
}

function linkState(seat: Seat, path: string): string {
  if (seat.links?.[path] !== undefined) return `link\n${seat.links[path]}\n`
  if (dirMode(seat, path) !== undefined) return 'directory\n'
  return fileOf(seat, path) ? 'other\n' : 'absent\n'
}

// The SDK's checksum script: the sum, then the stamp key (size, mtime, inode).
function checksum(seat: Seat, path: string): string {
  const file = fileOf(seat, path)
  const sum = seat.sums?.[path] ?? (file && { sha256: sha256(file.content), size: Buffer.byteLength(file.content) })
  return sum ? `${sum.sha256}\n${sum.size} 1700000000.000000000 4242\n` : 'missing\n'
}

function dpkg(seat: Seat, command: string): ExecResult {
  const names = command.slice(command.indexOf(' -- ') + 4).split(' ').map((w) => word(w, 0))
  const installed = names.filter((name) => seat.packages?.includes(name))
  return { code: installed.length === names.length ? 0 : 1, stdout: installed.map((name) => `${name}\tii \n`).join(''), stderr: '' }
}

function service(seat: Seat, command: string, name: string, init: 'systemd' | 'sysv'): ExecResult | undefined {
  const unit = seat.services?.[name]
  if (init === 'systemd' && command.includes("printf 'load=%s\\n'")) {
    if (!unit) return ok('load=not-found\nactive=inactive\nenabled=\n')
    return ok(`load=loaded\nactive=${unit.running ? 'active' : 'inactive'}\nenabled=${unit.enabled ? 'enabled' : 'disabled'}\n`)
  }
  if (init === 'sysv' && command.includes('if [ -x /etc/init.d/"$n" ]')) {
    if (!unit) return ok('exists=0\n')
    return ok(`exists=1\nrunning=${unit.running ? 0 : 3}\nenabled=${unit.enabled ? 1 : 0}\nlinks=${unit.enabled ? 1 : 0}\n`)
  }
  return undefined
}

function exists(seat: Seat, path: string): boolean {
  return fileOf(seat, path) !== undefined || dirMode(seat, path) !== undefined || seat.links?.[path] !== undefined
}

function fileOf(seat: Seat, path: string): SeatFile | undefined {
  const file = seat.files?.[path]
  return typeof file === 'string' ? { content: file } : file
}

function dirMode(seat: Seat, path: string): string | undefined {
  if (Array.isArray(seat.dirs)) return seat.dirs.includes(path) ? '755' : undefined
  return seat.dirs?.[path]
}

function owner(name = 'root'): string {
  return name === 'root' ? '0\troot\t0\troot' : `1000\t${name}\t1000\t${name}`
}

// A path as zx's quote wrote it, read back.
export function unquote(text: string): string {
  return word(text, 0)
}

// The shell word (as zx's quote writes it: plain, or $'…' with backslash escapes) starting at `at`.
function word(text: string, at: number): string {
  if (!text.startsWith("$'", at)) return text.slice(at).split(/\s/, 1)[0]!
  const escapes: Record<string, string> = { n: '\n', r: '\r', t: '\t', f: '\f', v: '\v', '0': '\0' }
  let out = ''
  for (let i = at + 2; i < text.length; i++) {
    const c = text[i]!
    if (c === "'") return out
    if (c === '\\') out += escapes[text[++i]!] ?? text[i]
    else out += c
  }
  return out
}

function ok(stdout: string): ExecResult {
  return { code: 0, stdout, stderr: '' }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}
