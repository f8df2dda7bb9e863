import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { open, readFile, stat, unlink } from 'node:fs/promises'
import { setTimeout as delay } from 'node:timers/promises'

export interface FileLockOptions {
  // How long to wait for another holder before giving up.
  waitMs: number
  // A lock older than this was left by a process that died holding it, and is broken.
  staleMs: number
}

const DEFAULTS: FileLockOptions = { waitMs: 15_000, staleMs: 10_000 }

// Runs `task` while holding `<file>.lock`, made with O_EXCL (atomic, on NFS too), so that labplay
// processes sharing `file` change it one at a time. A holder keeps the lock for milliseconds (one read,
// one append), so a lock older than `staleMs` is one whose process died, and is removed; no timer
// refreshes it. Two waiters breaking the same stale lock at the same instant may both go on: that takes
// a process killed inside those milliseconds, and costs at most the race the lock exists to prevent.
export async function withFileLock<T>(file: string, task: () => Promise<T>, options: Partial<FileLockOptions> = {}): Promise<T> {
  const { waitMs, staleMs } = { ...DEFAULTS, ...options }
  const lock = `${file}.lock`
  const deadline = Date.now() + waitMs
  // What this holder writes in the lock, to know it is still its own when done.
  const mine = `${process.pid} ${hostname()} ${randomBytes(8).toString('hex')}\n`
  for (;;) {
    const held = await open(lock, 'wx', 0o600).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'EEXIST') return undefined
      throw err
    })
    if (held) {
      try {
        await held.writeFile(mine)
      } finally {
        await held.close()
      }
      break
    }
    const since = await stat(lock).then((s) => s.mtimeMs, () => undefined)
    if (since !== undefined && Date.now() - since > staleMs) {
      await unlink(lock).catch(() => undefined)
      continue
    }
    if (Date.now() > deadline) {
      const [pid, host] = (await readFile(lock, 'utf8').catch(() => '')).split(/\s+/)
      throw new Error(`cannot lock ${file}: ${lock} is held${pid ? ` by pid ${pid}${host ? ` on ${host}` : ''}` : ''}; remove it if no labplay is running`)
    }
    await delay(10 + Math.random() * 40)
  }
  try {
    return await task()
  } finally {
    // Still ours (not broken as stale by a waiter while this process was stopped).
    if ((await readFile(lock, 'utf8').catch(() => '')) === mine) await unlink(lock).catch(() => undefined)
  }
}
