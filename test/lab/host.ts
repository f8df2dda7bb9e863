import { closeSync, openSync, rmSync, writeFileSync } from 'node:fs'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { must, run } from './run.ts'
import type { RunOptions, RunResult } from './run.ts'

// One sshd per host, listening on the host's address only, trusting only the lab's key.
export function writeSshdConfig(hostDir: string, address: string, authorizedKey: string): void {
  writeFileSync(join(hostDir, 'sshd_config'), [
    `ListenAddress ${address}`,
    'Port 22',
    `HostKey ${join(hostDir, 'ssh_host_ed25519_key')}`,
    'PermitRootLogin prohibit-password',
    `AuthorizedKeysFile ${authorizedKey}`,
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no',
    'PidFile /run/sshd.pid',
    'MaxSessions 64',
    'MaxStartups 200',
    'PrintMotd no',
    'Subsystem sftp /usr/lib/openssh/sftp-server',
    '',
  ].join('\n'))
}

// Starts `boot.sh` as pid 1 of fresh mount, UTS and pid namespaces inside the host's network
// namespace, detached so that it outlives this process; returns the global pid of that pid 1.
export async function bootHost(bootScript: string, ns: string, name: string, address: string, hostDir: string): Promise<number> {
  const log = openSync(join(hostDir, 'boot.log'), 'a')
  const child = spawn('ip', ['netns', 'exec', ns, 'unshare', '--mount', '--uts', '--pid', '--fork', '--mount-proc',
    'bash', bootScript, name, address, hostDir], { detached: true, stdio: ['ignore', log, log] })
  closeSync(log)
  child.unref()
  const unsharePid = child.pid
  if (unsharePid === undefined) throw new Error(`${name}: could not start ip netns exec`)
  for (let i = 0; i < 200; i++) {
    const r = await run('pgrep', ['-P', String(unsharePid)], { timeoutMs: 5_000 })
    if (r.code === 0) return Number(r.stdout.trim().split('\n')[0])
    await sleep(10)
  }
  throw new Error(`${name}: unshare (pid ${unsharePid}) started no pid 1 within 2 s; see ${join(hostDir, 'boot.log')}`)
}

// Polls port 22 of each address from the controller namespace until all answer or `seconds` pass;
// returns the addresses that never answered.
export function waitForSsh(ctlNs: string, addresses: string[], seconds = 30): Promise<string[]> {
  return waitForPort(ctlNs, addresses, 22, seconds)
}

// The same for any TCP port (the seats' mirror).
export async function waitForPort(ctlNs: string, addresses: string[], port: number, seconds: number): Promise<string[]> {
  const script = `
    pending=("$@")
    for ((round = 0; round < ${seconds * 20} && \${#pending[@]} > 0 && SECONDS < ${seconds}; round++)); do
      next=()
      for a in "\${pending[@]}"; do (exec 3<>"/dev/tcp/$a/${port}") 2>/dev/null || next+=("$a"); done
      pending=("\${next[@]}")
      [ \${#pending[@]} -eq 0 ] || sleep 0.05
    done
    echo "\${pending[@]}"`
  const out = await must('ip', ['netns', 'exec', ctlNs, 'bash', '-c', script, 'wait-for-port', ...addresses],
    { timeoutMs: (seconds + 10) * 1000 })
  return out.split(/\s+/).filter(Boolean)
}

// Roughly the environment of an ssh login as root, so host commands do not see the test runner's.
const HOST_ENV = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: '/root', USER: 'root', LOGNAME: 'root', SHELL: '/bin/bash', LANG: 'C.UTF-8',
}

// Runs `bash -c command` as root inside all namespaces of the host whose pid 1 is `pid`, bypassing ssh.
// Root and working folder are the host's own (a seat's / is not the machine's): /root is opened
// through /proc before nsenter enters the mount namespace.
export function hostExec(pid: number, command: string, opts: RunOptions = {}): Promise<RunResult> {
  return run('nsenter', ['-t', String(pid), '--all', '--root', `--wd=/proc/${pid}/root/root`, 'bash', '-c', command],
    { ...opts, env: HOST_ENV, timeoutMs: opts.timeoutMs ?? 60_000 })
}

// A new ed25519 key pair at `path` (and `path`.pub), replacing any old one.
export async function generateKey(path: string, comment: string): Promise<void> {
  rmSync(path, { force: true })
  rmSync(`${path}.pub`, { force: true })
  await must('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path])
}
