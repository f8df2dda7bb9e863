import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

// A mounted cgroup hierarchy (v1 controller set, name=systemd, or the v2 tree) and this process's place in it.
interface Hierarchy { mount: string; own: string }

// Every hierarchy once, with the folder of this process's own cgroup in it: a seat's cgroups go
// below the creator's, so they stay inside whatever limits and accounting the creator lives under.
function hierarchies(): Hierarchy[] {
  const mine = readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n').map((l) => {
    const [, controllers, path] = /^\d+:([^:]*):(.*)$/.exec(l)!
    return { controllers: controllers!.split(',').filter(Boolean), path: path! }
  })
  const found = new Map<string, Hierarchy>()
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [left, right] = line.split(' - ')
    if (!left || !right) continue
    const [fstype, , options] = right.split(' ')
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue
    const [, , , root, mount] = left.split(' ')
    const opts = options!.split(',')
    const entry = fstype === 'cgroup2'
      ? mine.find((m) => m.controllers.length === 0)
      : mine.find((m) => m.controllers.length > 0 && m.controllers.every((c) => opts.includes(c)))
    if (!entry || !root || !mount) continue
    const key = fstype === 'cgroup2' ? 'v2' : entry.controllers.join(',')
    if (found.has(key)) continue
    const inside = root === '/' ? entry.path : entry.path.startsWith(root) ? entry.path.slice(root.length) : undefined
    if (inside !== undefined) found.set(key, { mount, own: join(mount, inside) })
  }
  return [...found.values()]
}

// The character devices a seat may use (v1 devices controller): nspawn's own list for containers
// (null zero full random urandom tty console ptmx pts tun) plus kvm and fuse. Nothing else of the machine.
const SEAT_DEVICES = ['c 1:3', 'c 1:5', 'c 1:7', 'c 1:8', 'c 1:9', 'c 5:0', 'c 5:1', 'c 5:2', 'c 136:*', 'c 10:200', 'c 10:232', 'c 10:229']

// Creates cgroup `name` in every hierarchy; the seat's boot script moves itself into all of them before
// nspawn starts (seats sharing one cgroup kill each other's units). cpuset needs its CPUs and memory nodes
// copied from the parent before a process may join.
export function createCgroups(name: string): string[] {
  return hierarchies().map(({ own }) => {
    const dir = join(own, name)
    mkdirSync(dir, { recursive: true })
    for (const file of ['cpuset.cpus', 'cpuset.mems']) {
      if (existsSync(join(dir, file)) && readFileSync(join(dir, file), 'utf8').trim() === '') {
        writeFileSync(join(dir, file), readFileSync(join(own, file)))
      }
    }
    if (existsSync(join(dir, 'devices.deny'))) {
      writeFileSync(join(dir, 'devices.deny'), 'a')
      for (const device of SEAT_DEVICES) writeFileSync(join(dir, 'devices.allow'), `${device} rwm`)
    }
    return dir
  })
}

// Pids of every process in `dir` and the cgroups below it.
export function cgroupPids(dir: string): number[] {
  if (!existsSync(dir)) return []
  const pids = readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number)
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) pids.push(...cgroupPids(join(dir, e.name)))
  return pids
}

// Kills every process in the cgroups, then removes them, deepest first (systemd in a seat makes its own
// below). Bounded; safe to repeat.
export async function removeCgroups(dirs: string[]): Promise<void> {
  for (let round = 0; round < 100; round++) {
    const pids = dirs.flatMap(cgroupPids)
    if (pids.length === 0) break
    for (const pid of pids) {
      try { process.kill(pid, 'SIGKILL') } catch { /* gone meanwhile */ }
    }
    await sleep(50)
  }
  const left = dirs.flatMap(cgroupPids)
  if (left.length > 0) throw new Error(`processes ${[...new Set(left)].join(' ')} survive SIGKILL in ${dirs.join(' ')}`)
  for (const dir of dirs) removeTree(dir)
}

function removeTree(dir: string): void {
  if (!existsSync(dir)) return
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) removeTree(join(dir, e.name))
  rmdirSync(dir)
}

// Cgroup folders named `prefix…` anywhere in the first levels of every hierarchy, whoever made them
// (`down --stale` after a crash; another process may have created them below its own cgroup).
export function findCgroups(prefix: string, depth = 4): string[] {
  const found: string[] = []
  const walk = (dir: string, level: number): void => {
    let entries
    try { entries = readdirSync(dir, { withFileTypes: true }) } catch { return }
    for (const e of entries) {
      if (!e.isDirectory()) continue
      if (e.name.startsWith(prefix)) found.push(join(dir, e.name))
      else if (level < depth) walk(join(dir, e.name), level + 1)
    }
  }
  for (const { mount } of hierarchies()) walk(mount, 1)
  return found
}
