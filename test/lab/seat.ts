import { randomBytes } from 'node:crypto'
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { hostExec } from './host.ts'
import { pidsIn } from './network.ts'
import { must } from './run.ts'

// One seat's names and places: `machine` (= its namespace and cgroup name) is unique on the machine,
// `name` (its hostname) only in its lab.
export interface SeatPlace {
  name: string
  machine: string
  address: string
  ns: string
  dir: string
}

// How a seat came up: systemd's verdict (a degraded seat names its failed units) and how long it took.
export interface SeatBoot {
  state: 'running' | 'degraded'
  failed: string[]
  seconds: number
}

const BOOT_SCRIPT = fileURLToPath(new URL('seat-boot.sh', import.meta.url))

// Writes what makes a seat itself into its upper dir before the first boot: hostname, machine-id, its
// ssh host key, root's authorized key, apt pointing at the lab's mirror only; and its private /dev/kvm.
export async function prepareSeat(seat: SeatPlace, files: { hostKey: string; authorizedKey: string; mirrorUrl: string }): Promise<void> {
  for (const d of ['work', 'root', 'upper/etc/ssh', 'upper/etc/apt', 'upper/root/.ssh']) mkdirSync(join(seat.dir, d), { recursive: true })
  const upper = join(seat.dir, 'upper')
  writeFileSync(join(upper, 'etc/hostname'), `${seat.name}\n`)
  writeFileSync(join(upper, 'etc/hosts'), `127.0.0.1\tlocalhost\n127.0.1.1\t${seat.name}\n::1\tlocalhost ip6-localhost ip6-loopback\n`)
  writeFileSync(join(upper, 'etc/machine-id'), `${randomBytes(16).toString('hex')}\n`, { mode: 0o444 })
  copyFileSync(files.hostKey, join(upper, 'etc/ssh/ssh_host_ed25519_key'))
  copyFileSync(`${files.hostKey}.pub`, join(upper, 'etc/ssh/ssh_host_ed25519_key.pub'))
  writeFileSync(join(upper, 'root/.ssh/authorized_keys'), readFileSync(files.authorizedKey), { mode: 0o600 })
  // [trusted=yes]: the lab's mirror is unsigned; it is served from the lab's own controller namespace.
  writeFileSync(join(upper, 'etc/apt/sources.list'), `deb [trusted=yes] ${files.mirrorUrl} ./\n`)
  await must('chmod', ['0700', join(upper, 'root/.ssh')])
  await must('chmod', ['0600', join(upper, 'etc/ssh/ssh_host_ed25519_key')])
  // Never the machine's /dev/kvm: a seat's systemd-tmpfiles and udev rules change the node they see.
  await must('mknod', ['-m', '0600', join(seat.dir, 'kvm'), 'c', '10', '232'])
}

// Starts seat-boot.sh detached (it outlives this process), logging the seat's console to console.log;
// the function returned says how the script ended, once it has (a seat that cannot boot fails fast).
export function bootSeat(seat: SeatPlace, baseRoot: string, cgroups: string[]): () => string | undefined {
  const log = openSync(join(seat.dir, 'console.log'), 'a')
  const child = spawn('bash', [BOOT_SCRIPT, seat.machine, baseRoot, seat.dir, seat.ns, ...cgroups],
    { detached: true, stdio: ['ignore', log, log] })
  closeSync(log)
  child.unref()
  let ended: string | undefined
  child.on('exit', (code, signal) => { ended = `seat-boot.sh exited ${code ?? signal}` })
  return () => ended
}

// `pid` is pid 1 of its own pid namespace (a seat's systemd, a namespace host's boot.sh).
function isPidOne(pid: number): boolean {
  try {
    return /^NSpid:\s+\d+\s+1$/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'))
  } catch {
    return false
  }
}

// The global pid of the host's pid 1 in network namespace `ns`, if it runs.
export function leaderIn(ns: string): number | undefined {
  return pidsIn([ns]).find(isPidOne)
}

// `pid` is still that seat's systemd (it changes when the seat reboots).
export function isLeader(pid: number, ns: string): boolean {
  try {
    return readlinkSync(`/proc/${pid}/ns/net`) === `net:[${statSync(`/run/netns/${ns}`).ino}]` && isPidOne(pid)
  } catch {
    return false
  }
}

// Waits until the seat's systemd (another than `previous`, after a reboot) has finished booting.
// `is-system-running --wait` exits 1 for a degraded seat too, so its output is what counts.
export async function waitForSeat(seat: SeatPlace, timeoutMs: number, previous?: number, ended = (): string | undefined => undefined):
Promise<{ pid: number; boot: SeatBoot }> {
  const started = Date.now()
  const left = () => timeoutMs - (Date.now() - started)
  let seen = 'not started'
  while (left() > 0) {
    const gone = ended()
    if (gone) throw new Error(`${seat.name}: ${gone} before systemd booted\n${consoleTail(seat)}`)
    const pid = leaderIn(seat.ns)
    if (pid === undefined || pid === previous) {
      await sleep(100)
      continue
    }
    const r = await hostExec(pid, 'systemctl is-system-running --wait', { timeoutMs: Math.max(1000, left()) })
    seen = r.stdout.trim() || r.stderr.trim()
    if (seen === 'running' || seen === 'degraded') {
      const failed = seen === 'running' ? [] : (await hostExec(pid, 'systemctl --failed --plain --no-legend')).stdout
        .split('\n').filter(Boolean).map((l) => l.split(/\s+/)[0]!)
      return { pid, boot: { state: seen, failed, seconds: (Date.now() - started) / 1000 } }
    }
    // "stopping": the seat is on its way down to a reboot; "maintenance" is final (emergency shell).
    if (seen === 'maintenance') break
    await sleep(100)
  }
  throw new Error(`${seat.name}: systemd did not finish booting within ${(timeoutMs / 1000).toFixed(0)} s (last state: ${seen})\n${consoleTail(seat)}`)
}

// The end of a seat's console, for errors.
export function consoleTail(seat: SeatPlace, lines = 15): string {
  try {
    return readFileSync(join(seat.dir, 'console.log'), 'utf8').split('\n').slice(-lines).join('\n')
  } catch {
    return 'console.log: missing'
  }
}

// What nspawn leaves in the machine's /run for a machine name (the propagation folder), removed at teardown.
export function removeNspawnLeftovers(machine: string): void {
  for (const d of ['propagate', 'unix-export']) {
    const path = join('/run/systemd/nspawn', d, machine)
    if (existsSync(path)) rmSync(path, { recursive: true, force: true })
  }
}
