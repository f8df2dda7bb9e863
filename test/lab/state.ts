import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

// Namespace hosts (sshd over overlays of this machine's system) or seats (Debian 12 booted with systemd).
export type LabKind = 'namespace' | 'seat'

// What a lab leaves in its folder so that another process (the CLI, a later test run) can find and remove it.
export interface LabRecord {
  id: string
  subnet: number   // the X of 10.250.X.0/24
  prefix: string
  hosts: number
  owner: number    // pid of the process that created the lab
  keep: boolean    // brought up by `lab:up`: never stale, only `lab:down` removes it
  kind?: LabKind   // absent in records written before seats: namespace
}

// Namespaces of every lab start with this, so stale ones can be found after a crash.
export const NS_PREFIX = 'labplay-'

// Folders that a lab host overlays or mounts tmpfs on; the state root must not be under any of them.
export const HIDDEN_IN_HOSTS = ['/etc', '/var', '/usr', '/opt', '/srv', '/home', '/root', '/boot', '/run', '/tmp']

// The state root is a root-level folder by default: the repository may live under /tmp (CI clones),
// which a lab host covers with tmpfs, and sshd inside must read its config and keys from here.
export function labRoot(): string {
  const root = resolve(process.env.LABPLAY_LAB_DIR || '/labplay-lab')
  const hidden = HIDDEN_IN_HOSTS.find((d) => root === d || root.startsWith(d + '/'))
  if (hidden) {
    throw new Error(`LABPLAY_LAB_DIR=${root} is under ${hidden}, which lab hosts overlay or hide; choose a folder elsewhere, e.g. /labplay-lab`)
  }
  return root
}

const subnetLock = (root: string, x: number) => join(root, 'subnets', String(x))

// Folders of the state root that are not labs: subnet claims, and what lab fixtures keep between runs.
const NOT_LABS = new Set(['subnets', 'cache'])

// Where a lab fixture keeps what outlives labs (downloaded packages, built images): never taken for a stale lab.
export function labCache(name: string): string {
  return join(labRoot(), 'cache', name)
}

// Claims a free 10.250.X.0/24 and the lab's folder atomically (exclusive create), so parallel test
// files never collide, and records the lab at once so that no other process takes it for stale.
export function claimLab(opts: { name?: string; prefix?: string; hosts: number; keep: boolean; kind: LabKind }): { record: LabRecord; dir: string } {
  const { name } = opts
  if (name !== undefined && !/^[a-z][a-z0-9-]{0,19}$/.test(name)) {
    throw new Error(`lab name '${name}': expected a lowercase letter, then up to 19 letters, digits or '-'`)
  }
  const root = labRoot()
  mkdirSync(join(root, 'subnets'), { recursive: true })
  for (let x = 1; x <= 254; x++) {
    const id = name ?? `lab${x}`
    try {
      writeFileSync(subnetLock(root, x), id, { flag: 'wx' })
    } catch {
      continue
    }
    const dir = join(root, id)
    try {
      mkdirSync(dir)
    } catch {
      unlinkSync(subnetLock(root, x))
      if (name !== undefined) {
        throw new Error(`lab '${name}' already exists in ${root}: tear it down first (npm run lab:down -- --name ${name})`)
      }
      continue
    }
    const record = { id, subnet: x, prefix: opts.prefix ?? id, hosts: opts.hosts, owner: process.pid, keep: opts.keep, kind: opts.kind }
    writeRecord(dir, record)
    return { record, dir }
  }
  throw new Error(`no free lab subnet in 10.250.1-254.0/24 (see ${join(root, 'subnets')}; npm run lab:down removes labs)`)
}

function writeRecord(dir: string, record: LabRecord): void {
  writeFileSync(join(dir, 'lab.json'), JSON.stringify(record, null, 2) + '\n')
}

// The record of lab `id`, or undefined when its folder is gone or was never completed.
export function readRecord(id: string): LabRecord | undefined {
  try {
    return JSON.parse(readFileSync(join(labRoot(), id, 'lab.json'), 'utf8')) as LabRecord
  } catch {
    return undefined
  }
}

// Lab ids that have a folder in the state root.
export function labFolders(): string[] {
  const root = labRoot()
  if (!existsSync(root)) return []
  return readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !NOT_LABS.has(e.name))
    .map((e) => e.name)
}

// Forgets lab `id` on disk: its folder (keys, logs, upper dirs) and its subnet claim.
export function removeState(id: string): void {
  const root = labRoot()
  rmSync(join(root, id), { recursive: true, force: true })
  const locks = existsSync(join(root, 'subnets')) ? readdirSync(join(root, 'subnets')) : []
  for (const x of locks) {
    const lock = join(root, 'subnets', x)
    try {
      if (readFileSync(lock, 'utf8') === id) rmSync(lock, { force: true })
    } catch { /* removed meanwhile by another teardown */ }
  }
}

// A lab is stale when nobody will tear it down: its creator died (and it was not kept), or it has
// no record although its folder is older than the instant between claiming and recording.
export function isStale(id: string): boolean {
  const record = readRecord(id)
  if (!record) {
    try {
      return Date.now() - statSync(join(labRoot(), id)).mtimeMs > 10_000
    } catch {
      return true
    }
  }
  if (record.keep) return false
  try {
    process.kill(record.owner, 0)
    return false
  } catch {
    return true
  }
}
