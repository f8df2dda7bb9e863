import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { createLab, type Lab, type LabKind } from '../test/lab/lab.ts'
import type { ImageManifest as Manifest } from '../src/sdk/manifest.ts'
import { makeImage } from '../test/helpers/image.ts'
import { BIN, ROOT } from '../test/helpers/labplay.ts'
import { parse } from 'yaml'
import { ansibleVars, renderAnsibleFiles } from './ansible-files.ts'

// sample.yml (one role, lab-notice) until the five roles exist; site.yml is the real job.
export type PlaybookName = 'sample' | 'site'

// A simulated room ready for all three tools: same hosts, same keys, same known_hosts, same variables.
export interface Room {
  lab: Lab
  dir: string
  playbook: PlaybookName
  manifest?: Manifest
  // argv (after `node`) for labplay, and for ansible-playbook, each with inventories, limit and extra vars.
  labplayArgs: string[]
  ansibleArgs: string[]
  close(): Promise<void>
}

const BENCH = resolve(ROOT, 'bench')

// Brings up N seats named m5-01… so that the example inventory's room m5 (group_vars, -l m5) applies:
// namespace hosts (this machine's system, every package there), or bare Debian 12 seats (kind 'seat').
export async function openRoom(hosts: number, playbook: PlaybookName, imageMb: number, kind: LabKind = 'namespace'): Promise<Room> {
  const lab = await createLab({ hosts, prefix: 'm5', kind })
  // Inside the lab's folder, which goes with the lab (namespace hosts see it too; seats do not).
  const dir = join(lab.dir, 'bench')
  try {
    mkdirSync(dir)
    await primeKnownHosts(lab)
    // Seats past m5-18 are not in the example inventory's m5: this file puts every lab seat there;
    // `-l m5:&lab` then leaves out the example's seats that this lab does not have.
    const roomIni = join(dir, 'room.ini')
    writeFileSync(roomIni, ['[m5]', ...lab.hosts.map((h) => h.name), ''].join('\n'))
    const common = ['-i', lab.inventory]
    if (playbook === 'sample') {
      return room(lab, dir, playbook, undefined, [join(ROOT, 'playbooks/sample.yml'), ...common, '--known-hosts', lab.knownHosts],
        [join(BENCH, 'ansible/sample.yml'), ...common])
    }
    const manifest = await makeImage(join(dir, 'source'), { dataMb: imageMb, version: 'bench' })
    const vars = join(dir, 'image.json')
    writeFileSync(vars, JSON.stringify({ image: manifest }))
    const forAnsible = join(dir, 'ansible-vars.json')
    writeFileSync(forAnsible, JSON.stringify(ansibleVars(renderAnsibleFiles(dir, manifest, roomGroupVars()), join(ROOT, 'roles'))))
    const site = ['-i', join(ROOT, 'inventory'), ...common, '-i', roomIni, '-l', 'm5:&lab', '-e', `@${vars}`]
    return room(lab, dir, playbook, manifest, [join(ROOT, 'playbooks/site.yml'), ...site, '--known-hosts', lab.knownHosts],
      [join(BENCH, 'ansible/site.yml'), ...site, '-e', `@${forAnsible}`])
  } catch (err) {
    await lab.destroy()
    throw err
  }
}

function room(lab: Lab, dir: string, playbook: PlaybookName, manifest: Manifest | undefined, labplayArgs: string[], ansibleArgs: string[]): Room {
  return {
    lab, dir, playbook, manifest, labplayArgs, ansibleArgs,
    close: () => lab.destroy(),
  }
}

// Room m5's variables from the example inventory (all, then m5), as both tools see them.
function roomGroupVars(): Record<string, unknown> {
  const read = (f: string) => parse(readFileSync(join(ROOT, 'inventory/group_vars', f), 'utf8')) as Record<string, unknown>
  return { ...read('all.yml'), ...read('m5.yml') }
}

// What Ansible needs on a target and labplay does not: Python, and python3-apt for its apt module. Namespace
// hosts have both from this machine; bare seats get them from the lab's mirror, untimed, before Ansible runs.
export async function readyForAnsible(room: Room): Promise<void> {
  if (room.lab.kind !== 'seat') return
  const apt = 'DEBIAN_FRONTEND=noninteractive apt-get -q -y'
  await Promise.all(room.lab.hosts.map(async (h) => {
    const r = await room.lab.exec(h.name, `${apt} update >/dev/null && ${apt} install --no-install-recommends python3 python3-apt >/dev/null`, { timeoutMs: 600_000 })
    if (r.code !== 0) throw new Error(`installing python3 for Ansible on ${h.name}: ${r.stderr}`)
  }))
}

// Every tool then runs with host key checking on against the same file (strict for OpenSSH and Ansible).
export async function primeKnownHosts(lab: Lab): Promise<void> {
  const r = await lab.controller(['ssh-keyscan', '-T', '10', '-t', 'ed25519', ...lab.hosts.map((h) => h.address)], { timeoutMs: 60_000 })
  const lines = r.stdout.split('\n').filter((l) => l && !l.startsWith('#'))
  if (lines.length !== lab.hosts.length) throw new Error(`ssh-keyscan found ${lines.length} of ${lab.hosts.length} host keys\n${r.stderr}`)
  writeFileSync(lab.knownHosts, lines.join('\n') + '\n')
}

// labplay exactly as an admin runs it: bin/labplay.js through node, plain output (piped), no colours.
export const labplayArgv = (room: Room, extra: string[] = []): string[] => ['node', BIN, ...room.labplayArgs, ...extra]
