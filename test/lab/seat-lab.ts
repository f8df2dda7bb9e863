import { readFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { ensureBase, type SeatBase } from './base.ts'
import { createCgroups } from './cgroup.ts'
import { hostExec, waitForSsh } from './host.ts'
import { raiseInotify } from './inotify.ts'
import { findHost, labObject } from './lab-object.ts'
import type { HostDriver, Lab, LabContext, LabHost } from './lab-object.ts'
import { ensureMirror, MIRROR_PORT, serveMirror, type Mirror } from './mirror.ts'
import { configureHost } from './network.ts'
import { run } from './run.ts'
import { bootSeat, isLeader, leaderIn, prepareSeat, waitForSeat } from './seat.ts'
import type { SeatBoot, SeatPlace } from './seat.ts'

// Where a running seat is, seen from the machine. `root` is /proc/<pid>/root: valid until the seat
// reboots (ask again after). `upper` is the seat's disk (what it wrote over the base): read it, never
// write it while the seat runs.
export interface SeatInfo {
  name: string
  machine: string
  pid: number
  root: string
  upper: string
  dir: string
  kvm: string
  console: string
  cgroups: string[]
}

// A lab of seats: everything a Lab has, plus the base and mirror they use, how each came up, and reboots.
export interface SeatLab extends Lab {
  kind: 'seat'
  base: SeatBase
  mirror: Mirror & { url: string }
  // The last boot of each seat (running, or degraded with the units that failed).
  boots: Record<string, SeatBoot>
  // Reboots the seat (systemctl reboot inside) and waits until its systemd has booted again; the
  // overlay, the seat's disk, is kept.
  restart(host: string, opts?: { timeoutMs?: number }): Promise<SeatBoot>
  // Waits for a seat that reboots on its own (a role ran `reboot`): pass the pid it had before.
  waitRunning(host: string, opts?: { previousPid?: number; timeoutMs?: number }): Promise<SeatBoot>
  seat(host: string): SeatInfo
}

// A lab made with kind 'seat' (createLab's overload types it already; this is for a Lab from openLab).
export const isSeatLab = (lab: Lab): lab is SeatLab => lab.kind === 'seat'

// The base and the mirror, built when missing (see base.ts, mirror.ts).
export interface SeatParts { base: SeatBase; mirror: Mirror }

const SEAT_TOOLS = ['systemd-nspawn', 'debootstrap', 'apt-ftparchive']

export async function prepareSeatLab(): Promise<SeatParts> {
  const missing = (await Promise.all(SEAT_TOOLS.map(async (t) => ((await run('sh', ['-c', `command -v ${t}`])).code === 0 ? '' : t))))
    .filter(Boolean)
  if (missing.length > 0) {
    throw new Error(`seats need ${missing.join(', ')}: apt-get install systemd-container debootstrap apt-utils (bash .ci/install does)`)
  }
  const base = await ensureBase()
  return { base, mirror: await ensureMirror(base) }
}

const bootTimeoutMs = (seats: number) => 60_000 + 3_000 * seats

const placeOf = (ctx: LabContext, h: LabHost): SeatPlace =>
  ({ name: h.name, machine: h.ns, address: h.address, ns: h.ns, dir: join(ctx.dir, h.name) })

// Boots the lab's seats on the wired network: the mirror first (seats' apt points at it), the inotify
// limit raised, then every seat at once; returns when all have booted and answer on port 22.
export async function startSeats(ctx: LabContext, parts: SeatParts): Promise<SeatLab> {
  const [url] = await Promise.all([
    serveMirror(parts.mirror, ctx.controllerNs, ctx.controllerAddress, join(ctx.dir, 'mirror.log')),
    ...ctx.hosts.map((h) => configureHost(h.ns, h.address)),
    raiseInotify(),
  ])
  const started = await Promise.all(ctx.hosts.map(async (h) => {
    const place = placeOf(ctx, h)
    await prepareSeat(place, { hostKey: join(place.dir, 'ssh_host_ed25519_key'), authorizedKey: join(ctx.dir, 'id_ed25519.pub'), mirrorUrl: url })
    const cgroups = createCgroups(place.machine)
    return { cgroups, ended: bootSeat(place, parts.base.root, cgroups) }
  }))
  const boots: Record<string, SeatBoot> = {}
  await Promise.all(ctx.hosts.map(async (h, i) => {
    const { pid, boot } = await waitForSeat(placeOf(ctx, h), bootTimeoutMs(ctx.hosts.length), undefined, started[i]!.ended)
    h.pid = pid
    boots[h.name] = boot
  }))
  await expectSeatSsh(ctx, ctx.hosts)
  return seatLabObject(ctx, parts, started.flatMap((s) => s.cgroups), url, boots)
}

async function expectSeatSsh(ctx: LabContext, hosts: LabHost[]): Promise<void> {
  const silent = await waitForSsh(ctx.controllerNs, hosts.map((h) => h.address))
  if (silent.length === 0) return
  const report = await Promise.all(hosts.filter((h) => silent.includes(h.address)).map(async (h) => {
    const journal = await hostExec(h.pid, 'journalctl -u ssh.service -n 15 --no-pager', { timeoutMs: 10_000 })
    return `${h.name} (${h.address}) does not answer on port 22\n${journal.stdout}${journal.stderr}`
  }))
  throw new Error(report.join('\n'))
}

// The seat lab's object; `cgroups` are all its seats' (each seat's are those named after its machine).
export function seatLabObject(ctx: LabContext, parts: SeatParts, cgroups: string[], url = `http://${ctx.controllerAddress}:${MIRROR_PORT}/`,
  boots: Record<string, SeatBoot> = {}): SeatLab {
  // The seat's systemd now, following reboots; a seat between two boots is an error, not a wait.
  const leader = (h: LabHost): number => {
    if (isLeader(h.pid, h.ns)) return h.pid
    const pid = leaderIn(h.ns)
    if (pid === undefined) throw new Error(`${h.name}: the seat is not running (rebooting or powered off); lab.waitRunning waits for it`)
    h.pid = pid
    return pid
  }
  const mustExec = async (h: LabHost, command: string, input?: string | Buffer) => {
    const r = await hostExec(leader(h), command, { timeoutMs: 30_000, input })
    if (r.code !== 0) throw new Error(`${h.name}: ${command} exited ${r.code}\n${r.stderr}`)
  }
  const driver: HostDriver = {
    exec: async (h, command, opts) => hostExec(leader(h), command, opts),
    // Debian's ssh.service has KillMode=process: stopping it leaves the sessions, which pkill ends.
    stopSsh: (h) => mustExec(h, 'systemctl stop ssh.service; pkill -KILL -x sshd || true; ' +
      'for i in $(seq 100); do pgrep -x sshd >/dev/null || exit 0; sleep 0.05; done; exit 1'),
    startSsh: async (h) => {
      await mustExec(h, 'systemctl start ssh.service')
      await expectSeatSsh(ctx, [h])
    },
    installHostKey: async (h) => {
      const key = join(ctx.dir, h.name, 'ssh_host_ed25519_key')
      await mustExec(h, '(umask 077 && cat > /etc/ssh/ssh_host_ed25519_key)', readFileSync(key))
      await mustExec(h, 'cat > /etc/ssh/ssh_host_ed25519_key.pub', readFileSync(`${key}.pub`))
    },
  }
  const afterBoot = async (h: LabHost, timeoutMs: number, previous: number | undefined): Promise<SeatBoot> => {
    const { pid, boot } = await waitForSeat(placeOf(ctx, h), timeoutMs, previous)
    h.pid = pid
    boots[h.name] = boot
    await expectSeatSsh(ctx, [h])
    return boot
  }
  return {
    ...labObject(ctx, 'seat', driver),
    kind: 'seat',
    base: parts.base,
    mirror: { ...parts.mirror, url },
    boots,
    restart: async (name, opts = {}) => {
      const h = findHost(ctx, name)
      const before = leader(h)
      await mustExec(h, 'systemctl --no-block reboot')
      return afterBoot(h, opts.timeoutMs ?? bootTimeoutMs(1), before)
    },
    waitRunning: (name, opts = {}) => afterBoot(findHost(ctx, name), opts.timeoutMs ?? bootTimeoutMs(1), opts.previousPid),
    seat: (name) => {
      const h = findHost(ctx, name)
      const place = placeOf(ctx, h)
      const pid = leader(h)
      return {
        name, machine: place.machine, pid, root: `/proc/${pid}/root`, upper: join(place.dir, 'upper'), dir: place.dir,
        kvm: join(place.dir, 'kvm'), console: join(place.dir, 'console.log'),
        cgroups: cgroups.filter((d) => basename(d) === place.machine),
      }
    },
  }
}
