import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { bootHost, generateKey, hostExec, waitForSsh, writeSshdConfig } from './host.ts'
import { controllerNsName, hostNsName, labAddress, labNamespaces, unwire, wireLab } from './network.ts'
import { run } from './run.ts'
import type { RunResult } from './run.ts'
import { claimLab, isStale, labFolders, labRoot, NS_PREFIX, readRecord, removeState } from './state.ts'

// One lab host: `pid` (global pid of its pid 1) is what nsenter needs to step inside.
export interface LabHost {
  name: string
  address: string
  ns: string
  pid: number
}

// What a test gets: addresses and files for labplay, and ways into the hosts that bypass ssh.
export interface Lab {
  id: string
  dir: string
  hosts: LabHost[]
  controllerNs: string
  controllerAddress: string
  privateKey: string
  knownHosts: string
  inventory: string
  exec(host: string, command: string, opts?: { input?: string | Buffer; timeoutMs?: number }): Promise<RunResult>
  controller(argv: string[], opts?: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number; cwd?: string }): Promise<RunResult>
  stopSsh(host: string): Promise<void>
  startSsh(host: string): Promise<void>
  regenerateHostKey(host: string): Promise<void>
  destroy(): Promise<void>
}

// How many hosts and what to call them; `keep` is for labs brought up by hand.
export interface LabOptions {
  hosts: number
  name?: string   // lab id; default lab<X> after its subnet 10.250.X.0/24
  prefix?: string // host names are <prefix>-01 …; default: the lab id
  keep?: boolean  // the lab outlives its creator (lab:up); destroyStaleLabs leaves it alone
}

const BOOT_SCRIPT = fileURLToPath(new URL('boot.sh', import.meta.url))
const MAX_HOSTS = 200

// Real SSH hosts on this machine for tests and demos: see DEVELOPERS.md for how a lab is built.
export async function createLab(opts: LabOptions): Promise<Lab> {
  if (!Number.isInteger(opts.hosts) || opts.hosts < 1 || opts.hosts > MAX_HOSTS) {
    throw new Error(`hosts: expected a whole number from 1 to ${MAX_HOSTS}, got ${opts.hosts}`)
  }
  if (opts.prefix !== undefined && !/^[a-z][a-z0-9-]{0,40}$/.test(opts.prefix)) {
    throw new Error(`prefix '${opts.prefix}': expected a lowercase letter, then letters, digits or '-'`)
  }
  const { record, dir } = claimLab({ ...opts, keep: opts.keep ?? false })
  const { id, subnet, prefix } = record
  const ctlNs = controllerNsName(id)
  const hosts: LabHost[] = Array.from({ length: opts.hosts }, (_, i) => ({
    name: `${prefix}-${String(i + 1).padStart(2, '0')}`,
    address: labAddress(subnet, 11 + i),
    ns: hostNsName(id, i + 1),
    pid: 0,
  }))
  try {
    await bringUp(dir, ctlNs, subnet, hosts)
  } catch (err) {
    await teardown(id, [ctlNs, ...hosts.map((h) => h.ns)])
    throw err
  }
  return labObject(id, dir, ctlNs, labAddress(subnet, 1), hosts)
}

async function bringUp(dir: string, ctlNs: string, subnet: number, hosts: LabHost[]): Promise<void> {
  const privateKey = join(dir, 'id_ed25519')
  const bootScript = join(dir, 'boot.sh')
  copyFileSync(BOOT_SCRIPT, bootScript)
  writeFileSync(join(dir, 'known_hosts'), '', { mode: 0o600 })
  writeFileSync(join(dir, 'inventory.ini'), ['[lab]', ...hosts.map((h) =>
    `${h.name} ansible_host=${h.address} ansible_user=root ansible_ssh_private_key_file=${privateKey}`), ''].join('\n'))
  await Promise.all([
    generateKey(privateKey, 'labplay-lab'),
    ...hosts.map(async (h) => {
      const hostDir = join(dir, h.name)
      mkdirSync(hostDir)
      writeSshdConfig(hostDir, h.address, `${privateKey}.pub`)
      await generateKey(join(hostDir, 'ssh_host_ed25519_key'), h.name)
    }),
    wireLab(ctlNs, subnet, hosts.map((h, i) => ({ ns: h.ns, veth: `v${i + 1}` }))),
  ])
  await Promise.all(hosts.map(async (h) => {
    h.pid = await bootHost(bootScript, h.ns, h.name, h.address, join(dir, h.name))
  }))
  await expectSsh(dir, ctlNs, hosts)
}

// Waits for sshd on `hosts`, failing with the tail of each silent host's boot and sshd logs.
async function expectSsh(dir: string, ctlNs: string, hosts: LabHost[]): Promise<void> {
  const silent = await waitForSsh(ctlNs, hosts.map((h) => h.address))
  if (silent.length === 0) return
  const report = hosts.filter((h) => silent.includes(h.address)).map((h) => {
    const logs = ['boot.log', 'sshd.log'].map((f) => {
      try { return `${f}: ${readFileSync(join(dir, h.name, f), 'utf8').split('\n').slice(-10).join('\n')}` } catch { return `${f}: missing` }
    })
    return `${h.name} (${h.address}) does not answer on port 22\n${logs.join('\n')}`
  })
  throw new Error(report.join('\n'))
}

function labObject(id: string, dir: string, controllerNs: string, controllerAddress: string, hosts: LabHost[]): Lab {
  const host = (name: string): LabHost => {
    const h = hosts.find((x) => x.name === name)
    if (!h) throw new Error(`no host '${name}' in lab ${id} (hosts: ${hosts.map((x) => x.name).join(' ')})`)
    return h
  }
  const hostDir = (name: string) => join(dir, host(name).name)
  const mustExec = async (name: string, command: string) => {
    const r = await hostExec(host(name).pid, command, { timeoutMs: 30_000 })
    if (r.code !== 0) throw new Error(`${name}: ${command} exited ${r.code}\n${r.stderr}`)
  }
  const lab: Lab = {
    id, dir, hosts, controllerNs, controllerAddress,
    privateKey: join(dir, 'id_ed25519'),
    knownHosts: join(dir, 'known_hosts'),
    inventory: join(dir, 'inventory.ini'),
    exec: (name, command, opts) => hostExec(host(name).pid, command, opts),
    controller: (argv, opts = {}) => run('ip', ['netns', 'exec', controllerNs, ...argv],
      { ...opts, env: opts.env ?? process.env, timeoutMs: opts.timeoutMs ?? 120_000 }),
    // Kills the listener and every session, like a host whose sshd died; the host itself stays up.
    stopSsh: (name) => mustExec(name,
      'pkill -KILL -x sshd || true; for i in $(seq 100); do pgrep -x sshd >/dev/null || exit 0; sleep 0.05; done; exit 1'),
    startSsh: async (name) => {
      await mustExec(name, `/usr/sbin/sshd -f ${hostDir(name)}/sshd_config -E ${hostDir(name)}/sshd.log`)
      await expectSsh(dir, controllerNs, [host(name)])
    },
    regenerateHostKey: async (name) => {
      await lab.stopSsh(name)
      await generateKey(join(hostDir(name), 'ssh_host_ed25519_key'), name)
      await lab.startSsh(name)
    },
    destroy: () => teardown(id, [controllerNs, ...hosts.map((h) => h.ns)]),
  }
  return lab
}

async function teardown(id: string, namespaces: string[]): Promise<void> {
  await unwire(namespaces)
  removeState(id)
}

// Reattaches to a lab that is up (made by lab:up or another process), or undefined when there is none.
export async function openLab(id: string): Promise<Lab | undefined> {
  const record = readRecord(id)
  if (!record) return undefined
  const hosts: LabHost[] = []
  for (let i = 0; i < record.hosts; i++) {
    const ns = hostNsName(id, i + 1)
    const pids = await run('ip', ['netns', 'pids', ns], { timeoutMs: 5_000 })
    const init = await Promise.all(pids.stdout.split('\n').filter(Boolean).map(async (pid) =>
      (await run('cat', [`/proc/${pid}/status`], { timeoutMs: 5_000 })).stdout.match(/^NSpid:\s+\d+\s+1$/m) ? Number(pid) : 0))
    const pid = init.find((p) => p > 0)
    if (!pid) return undefined
    hosts.push({ name: `${record.prefix}-${String(i + 1).padStart(2, '0')}`, address: labAddress(record.subnet, 11 + i), ns, pid })
  }
  return labObject(id, join(labRoot(), id), controllerNsName(id), labAddress(record.subnet, 1), hosts)
}

// Removes lab `id` whoever made it (lab:down): every namespace named after it, then its folder.
export async function destroyLab(id: string): Promise<void> {
  const prefix = `${NS_PREFIX}${id}-`
  const namespaces = (await labNamespaces()).filter((ns) => ns.startsWith(prefix) && /^(ctl|\d+)$/.test(ns.slice(prefix.length)))
  await teardown(id, namespaces)
}

// Cleans up after crashed runs: labs whose creator died (unless kept), and namespaces without a lab folder.
export async function destroyStaleLabs(): Promise<string[]> {
  const ids = new Set(labFolders())
  for (const ns of await labNamespaces()) {
    const m = /^(.+)-(ctl|\d+)$/.exec(ns.slice(NS_PREFIX.length))
    if (m) ids.add(m[1]!)
  }
  const stale = [...ids].filter((id) => isStale(id))
  for (const id of stale) await destroyLab(id)
  return stale
}
