import { spawn } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'

// Runs `fn` while holding an exclusive flock(1) on `file`, so that test files running at once build a
// cache entry or change a shared setting one at a time. The lock lives in a child `flock … cat` that
// holds it until its stdin closes: when this process dies, the kernel closes the pipe and frees it.
export async function withLock<T>(file: string, waitMs: number, fn: () => Promise<T>): Promise<T> {
  mkdirSync(dirname(file), { recursive: true })
  const holder = spawn('flock', ['-w', String(Math.ceil(waitMs / 1000)), file, '-c', 'echo locked; exec cat >/dev/null'],
    { stdio: ['pipe', 'pipe', 'pipe'] })
  const stderr: Buffer[] = []
  holder.stderr.on('data', (b: Buffer) => stderr.push(b))
  await new Promise<void>((resolve, reject) => {
    holder.stdout.once('data', () => resolve())
    holder.once('error', reject)
    holder.once('close', (code) => reject(new Error(
      `could not lock ${file} within ${waitMs / 1000} s (flock exited ${code}) ${Buffer.concat(stderr).toString().trim()}`)))
  })
  const released = new Promise<void>((resolve) => holder.once('close', () => resolve()))
  try {
    return await fn()
  } finally {
    holder.stdin.end()
    await released
  }
}
