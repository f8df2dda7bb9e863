import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { findCgroups } from './cgroup.ts'
import { bootHost, generateKey, hostExec, waitForSsh, writeSshdConfig } from './host.ts'
import { labCgroups, labObject, teardown } from './lab-object.ts'
import type { HostDriver, Lab, LabContext, LabHost, LabKind } from './lab-object.ts'
import { controllerNsName, hostNsName, labAddress, labNamespaces, wireLab } from './network.ts'
import { prepareSeatLab, seatLabObject, startSeats } from './seat-lab.ts'
import type { SeatLab } from './seat-lab.ts'
import { leaderIn } from './seat.ts'
import { claimLab, isStale, labFolders, labRoot, NS_PREFIX, readRecord } from './state.ts'

export type { Lab, LabHost, LabKind } from './lab-object.ts'
export type { SeatInfo, SeatLab } from './seat-lab.ts'
export type { SeatBoot } from './seat.ts'

// How many hosts, of which kind, and what to call them; `keep` is for labs brought up by hand.
export interface LabOptions {
  hosts: number
  kind?: LabKind  // default 'namespace' (fast); 'seat' boots Debian 12 with systemd (see DEVELOPERS.md)
  name?: string   // lab id; default lab<X> after its subnet 10.250.X.0/24
  prefix?: string // host names are <prefix>-01 …; default: the lab id
  keep?: boolean  // the lab outlives its creator (lab:up); destroyStaleLabs leaves it alone
}

const BOOT_SCRIPT = fileURLToPath(new URL('boot.sh', import.meta.url))
const MAX_HOSTS = 200

// Real SSH hosts on this machine for tests and demos: see DEVELOPERS.md for how a lab is built.
export async function createLab(opts: LabOptions & { kind: 'seat' }): Promise<SeatLab>
export async function createLab(opts: LabOptions): Promise<Lab>
export async function createLab(opts: LabOptions): Promise<Lab> {
  const kind = opts.kind ?? 'namespace'
  if (!Number.isInteger(opts.hosts) || opts.hosts < 1 || opts.hosts > MAX_HOSTS) {
    throw new Error(`hosts: expected a whole number from 1 to ${MAX_HOSTS}, got ${opts.hosts}`)
  }
  if (opts.prefix !== undefined && !/^[a-z][a-z0-9-]{0,40}$/.test(opts.prefix)) {
    throw new Error(`prefix '${opts.prefix}': expected a lowercase letter, then letters, digits or '-'`)
  }
  if (kind !== 'namespace' && kind !== 'seat') throw new Error(`kind: expected 'namespace' or 'seat', got ${JSON.stringify(kind)}`)
  // Before the lab exists: the first seat lab on a machine builds (and caches) the base and the mirror.
  const seatParts = kind === 'seat' ? await prepareSeatLab() : undefined
  const { record, dir } = claimLab({ ...opts, keep: opts.keep ?? false, kind })
  const ctx = context(record.id, dir, record.subnet, record.prefix, record.hosts)
  try {
    await Promise.all([writeLabFiles(ctx), wireLab(ctx.controllerNs, record.subnet, ctx.hosts.map((h, i) => ({ ns: h.ns, veth: `v${i + 1}` })))])
    if (seatParts) return await startSeats(ctx, seatParts)
    await bringUp(ctx)
    return labObject(ctx, 'namespace', namespaceDriver(ctx))
  } catch (err) {
    await teardown(ctx.id, [ctx.controllerNs, ...ctx.hosts.map((h) => h.ns)])
    throw err
  }
}

function context(id: string, dir: string, subnet: number, prefix: string, count: number): LabContext {
  const hosts: LabHost[] = Array.from({ length: count }, (_, i) => ({
    name: `${prefix}-${String(i + 1).padStart(2, '0')}`,
    address: labAddress(subnet, 11 + i),
    ns: hostNsName(id, i + 1),
    pid: 0,
  }))
  return { id, dir, controllerNs: controllerNsName(id), controllerAddress: labAddress(subnet, 1), hosts }
}

// The lab key (authorized for root everywhere), an empty known_hosts, the inventory, one host key per host.
async function writeLabFiles(ctx: LabContext): Promise<void> {
  const privateKey = join(ctx.dir, 'id_ed25519')
  writeFileSync(join(ctx.dir, 'known_hosts'), '', { mode: 0o600 })
  writeFileSync(join(ctx.dir, 'inventory.ini'), ['[lab]', ...ctx.hosts.map((h) =>
    `${h.name} ansible_host=${h.address} ansible_user=root ansible_ssh_private_key_file=${privateKey}`), ''].join('\n'))
  await Promise.all([
    generateKey(privateKey, 'labplay-lab'),
    ...ctx.hosts.map(async (h) => {
      mkdirSync(join(ctx.dir, h.name))
      await generateKey(join(ctx.dir, h.name, 'ssh_host_ed25519_key'), h.name)
    }),
  ])
}

async function bringUp(ctx: LabContext): Promise<void> {
  const { dir, hosts } = ctx
  const bootScript = join(dir, 'boot.sh')
  copyFileSync(BOOT_SCRIPT, bootScript)
  for (const h of hosts) writeSshdConfig(join(dir, h.name), h.address, join(dir, 'id_ed25519.pub'))
  await Promise.all(hosts.map(async (h) => {
    h.pid = await bootHost(bootScript, h.ns, h.name, h.address, join(dir, h.name))
  }))
  await expectSsh(ctx, hosts)
}

// Waits for sshd on `hosts`, failing with the tail of each silent host's boot and sshd logs.
async function expectSsh(ctx: LabContext, hosts: LabHost[]): Promise<void> {
  const silent = await waitForSsh(ctx.controllerNs, hosts.map((h) => h.address))
  if (silent.length === 0) return
  const report = hosts.filter((h) => silent.includes(h.address)).map((h) => {
    const logs = ['boot.log', 'sshd.log'].map((f) => {
      try { return `${f}: ${readFileSync(join(ctx.dir, h.name, f), 'utf8').split('\n').slice(-10).join('\n')}` } catch { return `${f}: missing` }
    })
    return `${h.name} (${h.address}) does not answer on port 22\n${logs.join('\n')}`
  })
  throw new Error(report.join('\n'))
}

// A namespace host: boot.sh as pid 1, sshd started by hand with its config in the lab's folder.
function namespaceDriver(ctx: LabContext): HostDriver {
  const mustExec = async (h: LabHost, command: string) => {
    const r = await hostExec(h.pid, command, { timeoutMs: 30_000 })
    if (r.code !== 0) throw new Error(`${h.name}: ${command} exited ${r.code}\n${r.stderr}`)
  }
  return {
    exec: (h, command, opts) => hostExec(h.pid, command, opts),
    stopSsh: (h) => mustExec(h,
      'pkill -KILL -x sshd || true; for i in $(seq 100); do pgrep -x sshd >/dev/null || exit 0; sleep 0.05; done; exit 1'),
    startSsh: async (h) => {
      const hostDir = join(ctx.dir, h.name)
      await mustExec(h, `/usr/sbin/sshd -f ${hostDir}/sshd_config -E ${hostDir}/sshd.log`)
      await expectSsh(ctx, [h])
    },
    // sshd reads its key from the lab's folder.
    installHostKey: async () => {},
  }
}

// Reattaches to a lab that is up (made by lab:up or another process), or undefined when there is none.
export async function openLab(id: string): Promise<Lab | undefined> {
  const record = readRecord(id)
  if (!record) return undefined
  const ctx = context(id, join(labRoot(), id), record.subnet, record.prefix, record.hosts)
  for (const h of ctx.hosts) {
    const pid = leaderIn(h.ns)
    if (!pid) return undefined
    h.pid = pid
  }
  if (record.kind === 'seat') return seatLabObject(ctx, await prepareSeatLab(), labCgroups(id))
  return labObject(ctx, 'namespace', namespaceDriver(ctx))
}

// Removes lab `id` whoever made it (lab:down): its seats, every namespace named after it, then its folder.
export async function destroyLab(id: string): Promise<void> {
  const prefix = `${NS_PREFIX}${id}-`
  const namespaces = (await labNamespaces()).filter((ns) => ns.startsWith(prefix) && /^(ctl|\d+)$/.test(ns.slice(prefix.length)))
  await teardown(id, namespaces)
}

// Cleans up after crashed runs: labs whose creator died (unless kept), and namespaces or seat cgroups without a lab folder.
export async function destroyStaleLabs(): Promise<string[]> {
  const ids = new Set(labFolders())
  for (const ns of await labNamespaces()) {
    const m = /^(.+)-(ctl|\d+)$/.exec(ns.slice(NS_PREFIX.length))
    if (m) ids.add(m[1]!)
  }
  for (const cgroup of findCgroups(NS_PREFIX)) {
    const m = /^(.+)-\d+$/.exec(basename(cgroup).slice(NS_PREFIX.length))
    if (m) ids.add(m[1]!)
  }
  const stale = [...ids].filter((id) => isStale(id))
  for (const id of stale) await destroyLab(id)
  return stale
}
