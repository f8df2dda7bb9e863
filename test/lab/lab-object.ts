import { basename, join } from 'node:path'
import { findCgroups, removeCgroups } from './cgroup.ts'
import { generateKey } from './host.ts'
import { releaseInotify } from './inotify.ts'
import { unwire } from './network.ts'
import { run } from './run.ts'
import type { RunResult } from './run.ts'
import { removeNspawnLeftovers } from './seat.ts'
import { NS_PREFIX, removeState, type LabKind } from './state.ts'

export type { LabKind } from './state.ts'

// One lab host: `pid` (global pid of its pid 1) is what nsenter needs to step inside; a seat's changes
// when it reboots (the lab's own methods follow it).
export interface LabHost {
  name: string
  address: string
  ns: string
  pid: number
}

// What a test gets: addresses and files for labplay, and ways into the hosts that bypass ssh.
export interface Lab {
  kind: LabKind
  id: string
  dir: string
  hosts: LabHost[]
  controllerNs: string
  controllerAddress: string
  privateKey: string
  knownHosts: string
  inventory: string
  exec(host: string, command: string, opts?: { input?: string | Buffer; timeoutMs?: number }): Promise<RunResult>
  // A set-up or read-back step that must succeed: its stdout, or an error with the host, command, exit code and stderr.
  must(host: string, command: string, opts?: { input?: string | Buffer; timeoutMs?: number }): Promise<string>
  controller(argv: string[], opts?: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number; cwd?: string }): Promise<RunResult>
  stopSsh(host: string): Promise<void>
  startSsh(host: string): Promise<void>
  regenerateHostKey(host: string): Promise<void>
  destroy(): Promise<void>
}

// Where a lab lives; both kinds share it.
export interface LabContext {
  id: string
  dir: string
  controllerNs: string
  controllerAddress: string
  hosts: LabHost[]
}

// What differs between the kinds: how to step into a host, and how its sshd stops, starts and gets a new key.
export interface HostDriver {
  exec(host: LabHost, command: string, opts?: { input?: string | Buffer; timeoutMs?: number }): Promise<RunResult>
  stopSsh(host: LabHost): Promise<void>
  startSsh(host: LabHost): Promise<void>
  // After a new key was written to <lab>/<host>/ssh_host_ed25519_key, while sshd is stopped.
  installHostKey(host: LabHost): Promise<void>
}

// The host named `name`, or a short error listing the lab's hosts.
export function findHost(ctx: LabContext, name: string): LabHost {
  const h = ctx.hosts.find((x) => x.name === name)
  if (!h) throw new Error(`no host '${name}' in lab ${ctx.id} (hosts: ${ctx.hosts.map((x) => x.name).join(' ')})`)
  return h
}

export function labObject(ctx: LabContext, kind: LabKind, driver: HostDriver): Lab {
  const { id, dir, hosts, controllerNs, controllerAddress } = ctx
  const host = (name: string) => findHost(ctx, name)
  const lab: Lab = {
    kind, id, dir, hosts, controllerNs, controllerAddress,
    privateKey: join(dir, 'id_ed25519'),
    knownHosts: join(dir, 'known_hosts'),
    inventory: join(dir, 'inventory.ini'),
    exec: (name, command, opts) => driver.exec(host(name), command, opts),
    must: async (name, command, opts) => {
      const r = await driver.exec(host(name), command, opts)
      if (r.code !== 0) throw new Error(`${name}: ${command}: exit ${r.code}: ${r.stderr}`)
      return r.stdout
    },
    controller: (argv, opts = {}) => run('ip', ['netns', 'exec', controllerNs, ...argv],
      { ...opts, env: opts.env ?? process.env, timeoutMs: opts.timeoutMs ?? 120_000 }),
    // Kills the listener and every session, like a host whose sshd died; the host itself stays up.
    stopSsh: (name) => driver.stopSsh(host(name)),
    startSsh: (name) => driver.startSsh(host(name)),
    regenerateHostKey: async (name) => {
      await driver.stopSsh(host(name))
      await generateKey(join(dir, name, 'ssh_host_ed25519_key'), name)
      await driver.installHostKey(host(name))
      await driver.startSsh(host(name))
    },
    destroy: () => teardown(id, [controllerNs, ...hosts.map((h) => h.ns)]),
  }
  return lab
}

// Removes everything of lab `id`: its seats' processes and cgroups (nspawn and the seats' boot scripts
// live outside the namespaces), the namespaces and what runs in them, nspawn's leftovers in /run, the
// lab's folder; the machine's inotify limit comes back when no seat lab is left. Safe to repeat.
export async function teardown(id: string, namespaces: string[]): Promise<void> {
  const seats = labCgroups(id)
  await removeCgroups(seats)
  for (const machine of new Set(seats.map((d) => basename(d)))) removeNspawnLeftovers(machine)
  await unwire(namespaces)
  removeState(id)
  await releaseInotify()
}

// The seat cgroups of lab `id` (named like its namespaces: labplay-<id>-NN), in every hierarchy.
export function labCgroups(id: string): string[] {
  const prefix = `${NS_PREFIX}${id}-`
  return findCgroups(prefix).filter((d) => /^\d+$/.test(basename(d).slice(prefix.length)))
}
