import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Lab } from '../lab/lab.ts'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
export const BIN = join(ROOT, 'bin/labplay.js')

export interface Counts {
  ok: number
  changed: number
  unreachable: number
  failed: number
  skipped: number
}

export interface Ran {
  code: number
  stdout: string
  stderr: string
  recap: Map<string, Counts>
}

// Reads Ansible's PLAY RECAP lines back into numbers.
export function parseRecap(stdout: string): Map<string, Counts> {
  const recap = new Map<string, Counts>()
  const start = stdout.lastIndexOf('PLAY RECAP')
  if (start < 0) return recap
  for (const line of stdout.slice(start).split('\n')) {
    const m = /^(.+?)\s*: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)/.exec(line)
    if (m) recap.set(m[1]!, { ok: +m[2]!, changed: +m[3]!, unreachable: +m[4]!, failed: +m[5]!, skipped: +m[6]! })
  }
  return recap
}

// A folder of the test's own holding playbooks (so retry files land there, not in the repo).
export function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'labplay-test-'))
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content)
  return dir
}

// The smallest real play: lab-notice on every lab host, for tests of the runner rather than of a role (room is YAML).
export function labNoticePlay(room: string): string {
  return `- name: Lab notice\n  hosts: lab\n  roles:\n    - role: lab-notice\n      vars:\n        room: ${room}\n`
}

// A test file's test.after.always: its lab destroyed (when it came up) and the folders it made removed.
export async function cleanUp(lab: Lab | undefined, ...dirs: Array<string | undefined>): Promise<void> {
  await lab?.destroy()
  for (const dir of dirs) if (dir) rmSync(dir, { recursive: true, force: true })
}

// Runs the real CLI in the lab's controller namespace against the lab's inventory and keys.
export async function labplay(lab: Lab, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Ran> {
  const argv = ['node', BIN, ...args, '-i', lab.inventory, '--known-hosts', lab.knownHosts]
  const env = { ...process.env, NO_COLOR: '1', ...opts.env }
  const out = await lab.controller(argv, { cwd: opts.cwd ?? ROOT, env, timeoutMs: opts.timeoutMs ?? 120_000 })
  return { ...out, recap: parseRecap(out.stdout) }
}
