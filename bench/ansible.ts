import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run } from '../test/lab/run.ts'
import { timed, type Sample } from './measure.ts'
import type { Room } from './room.ts'

// `linear` is Ansible's default (every host finishes a task before the next); `free` lets fast hosts run ahead.
export type Strategy = 'linear' | 'free'

// One ansible-playbook run with the fast settings, cold: its own ControlPath folder, so no master
// connection survives from an earlier round (an admin's first run of the day), closed afterwards.
export async function runAnsible(room: Room, benchDir: string, strategy: Strategy): Promise<Sample> {
  const cp = mkdtempSync(join(tmpdir(), 'lb-cp-'))
  const env = {
    ...process.env,
    ANSIBLE_CONFIG: join(benchDir, 'ansible/ansible.cfg'),
    ANSIBLE_FORKS: String(room.lab.hosts.length),
    ANSIBLE_STRATEGY: strategy,
    ANSIBLE_SSH_CONTROL_PATH_DIR: cp,
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_LOCAL_TEMP: join(cp, 'tmp'),
  }
  const ssh = `-o UserKnownHostsFile=${room.lab.knownHosts} -o StrictHostKeyChecking=yes`
  try {
    // One Ansible rerun takes over 10 minutes at N = 50 on 2 cores.
    const sample = await timed(room.lab.controllerNs, ['ansible-playbook', ...room.ansibleArgs, '-e', JSON.stringify({ ansible_ssh_common_args: ssh })], { env, cwd: room.dir, timeoutMs: 1_800_000 })
    const masters = mastersOf(cp)
    // The masters detach from ansible-playbook, so GNU time never counts them: their CPU is added here.
    return { ...sample, cpuS: sample.cpuS + masters.cpuS }
  } finally {
    await closeMasters(cp)
    rmSync(cp, { recursive: true, force: true })
  }
}

const TICKS = 100

// The ControlPersist masters of this run: ssh processes whose command line names our ControlPath folder.
function mastersOf(cp: string): { pids: number[]; cpuS: number } {
  const pids: number[] = []
  let ticks = 0
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (!readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(cp)) continue
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      ticks += Number(fields[11]) + Number(fields[12])
      pids.push(Number(entry))
    } catch { /* exited meanwhile */ }
  }
  return { pids, cpuS: ticks / TICKS }
}

// `ssh -O exit` on each control socket ends exactly the masters this run started.
async function closeMasters(cp: string): Promise<void> {
  const sockets = readdirSync(cp).filter((f) => f !== 'tmp')
  await Promise.all(sockets.map((s) => run('ssh', ['-o', `ControlPath=${join(cp, s)}`, '-O', 'exit', 'x'], { timeoutMs: 10_000 })))
}

// Ansible's PLAY RECAP has the same layout as labplay's: changed= per host.
export function ansibleChanged(stdout: string): number[] {
  return [...stdout.matchAll(/^\S+\s+: ok=\d+\s+changed=(\d+)/gm)].map((m) => Number(m[1]))
}
