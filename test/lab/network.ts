import { existsSync, readdirSync, readlinkSync, statSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { must } from './run.ts'
import { NS_PREFIX } from './state.ts'

// Where a host plugs into its lab: the controller side of the veth is `veth` in the controller namespace.
export interface HostWiring { ns: string; veth: string }

// Names live inside namespaces, so only the namespace names must be unique across labs.
export const controllerNsName = (id: string) => `${NS_PREFIX}${id}-ctl`
export const hostNsName = (id: string, index: number) => `${NS_PREFIX}${id}-${String(index).padStart(2, '0')}`
export const labAddress = (subnet: number, last: number) => `10.250.${subnet}.${last}`

// Creates the namespaces and the bridge with two `ip -batch` runs; each host configures its own
// side (address, broadcast, multicast route) when it boots, in parallel with the others.
export async function wireLab(ctlNs: string, subnet: number, hosts: HostWiring[]): Promise<void> {
  const nsAdd = [ctlNs, ...hosts.map((h) => h.ns)].map((ns) => `netns add ${ns}`)
  await must('ip', ['-batch', '-'], { input: nsAdd.join('\n') + '\n' })
  const ctl = [
    'link set lo up',
    'link add br0 type bridge',
    `addr add ${labAddress(subnet, 1)}/24 brd + dev br0`,
    'link set br0 up',
    'route add 224.0.0.0/4 dev br0',
    ...hosts.flatMap((h) => [
      `link add ${h.veth} type veth peer name eth0 netns ${h.ns}`,
      `link set ${h.veth} master br0 up`,
    ]),
  ]
  await must('ip', ['-n', ctlNs, '-batch', '-'], { input: ctl.join('\n') + '\n' })
}

// A seat's side of the network, set from outside before it boots (its systemd configures no network):
// the same address, broadcast and multicast route as boot.sh gives a namespace host.
export async function configureHost(ns: string, address: string): Promise<void> {
  const batch = ['link set lo up', `addr add ${address}/24 brd + dev eth0`, 'link set eth0 up', 'route add 224.0.0.0/4 dev eth0']
  await must('ip', ['-n', ns, '-batch', '-'], { input: batch.join('\n') + '\n' })
}

// Names of all labplay namespaces on the machine, whichever lab (or crashed run) made them.
export async function labNamespaces(): Promise<string[]> {
  const out = await must('ip', ['netns', 'list'])
  return out.split('\n').map((l) => l.split(' ')[0]).filter((n) => n.startsWith(NS_PREFIX))
}

// Global pids of every process whose network namespace is one of `namespaces`.
export function pidsIn(namespaces: string[]): number[] {
  const inodes = new Set<string>()
  for (const ns of namespaces) {
    try { inodes.add(`net:[${statSync(`/run/netns/${ns}`).ino}]`) } catch { /* already deleted */ }
  }
  if (inodes.size === 0) return []
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (inodes.has(readlinkSync(`/proc/${entry}/ns/net`))) pids.push(Number(entry))
    } catch { /* exited, or a zombie without namespaces */ }
  }
  return pids
}

// Kills everything running in the namespaces (hosts, their sshd, stray sessions), then deletes them;
// deleting the controller namespace removes the bridge and every veth with it. Safe to repeat.
export async function unwire(namespaces: string[]): Promise<void> {
  for (let round = 0; round < 100; round++) {
    const pids = pidsIn(namespaces)
    if (pids.length === 0) break
    for (const pid of pids) {
      try { process.kill(pid, 'SIGKILL') } catch { /* gone meanwhile */ }
    }
    await sleep(50)
  }
  const left = pidsIn(namespaces)
  if (left.length > 0) throw new Error(`processes ${left.join(' ')} survive SIGKILL in ${namespaces.join(' ')}`)
  const del = namespaces.filter((ns) => existsSync(`/run/netns/${ns}`)).map((ns) => `netns del ${ns}\n`)
  if (del.length > 0) await must('ip', ['-batch', '-'], { input: del.join('') })
}
