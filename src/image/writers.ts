import { readdirSync, readFileSync, statSync } from 'node:fs'

// A process holding a file open for writing: a VM still running on the master disk, a copy still going.
export interface Writer {
  pid: number
  comm: string
}

// O_ACCMODE of the flags in /proc/<pid>/fdinfo/<fd>: 1 is O_WRONLY, 2 is O_RDWR.
const ACCMODE = 0o3

// Who holds `file` open for writing, from /proc: every fd of every process is stat'ed (so a hard link or a
// renamed path counts too) and its access mode read from fdinfo. lsof and fuser are not needed, and fuser does
// not tell readers from writers. Without root, other users' processes cannot be seen: for those, the size, mtime
// and inode compared around the hash (hash.ts) are the guard.
export function openWriters(file: string, proc = '/proc'): Writer[] {
  const target = statSync(file)
  const writers: Writer[] = []
  for (const entry of readdirSync(proc)) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue
    let fds: string[]
    try {
      fds = readdirSync(`${proc}/${entry}/fd`)
    } catch {
      continue
    }
    if (fds.some((fd) => isWriter(`${proc}/${entry}`, fd, target))) writers.push({ pid: Number(entry), comm: comm(`${proc}/${entry}`) })
  }
  return writers
}

// "pid 812 (qemu-system-x86)", as an admin looks it up.
export function describeWriters(writers: Writer[]): string {
  return writers.map((w) => `pid ${w.pid} (${w.comm})`).join(', ')
}

function isWriter(dir: string, fd: string, target: { dev: number; ino: number }): boolean {
  try {
    const st = statSync(`${dir}/fd/${fd}`)
    if (st.dev !== target.dev || st.ino !== target.ino) return false
    const flags = /^flags:\s*([0-7]+)$/m.exec(readFileSync(`${dir}/fdinfo/${fd}`, 'utf8'))?.[1]
    return flags !== undefined && (parseInt(flags, 8) & ACCMODE) !== 0
  } catch {
    // The fd closed, or the process ended, while we looked.
    return false
  }
}

function comm(dir: string): string {
  try {
    return readFileSync(`${dir}/comm`, 'utf8').trim()
  } catch {
    return '?'
  }
}
