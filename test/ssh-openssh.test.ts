// SSH as OpenSSH would connect, on real lab hosts: a room reachable only through a gateway (ProxyJump from an
// ssh_config named by ansible.cfg's ssh_args), host keys checked at every hop, password login (-k,
// ansible_password) and become_method su, with OpenSSH's own client run on the same files for comparison.
import test from 'ava'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { SshTarget } from '../src/connection/types.ts'
import { BIN, cleanUp, ROOT } from './helpers/labplay.ts'
import { createLab, type Lab } from './lab/lab.ts'

let lab: Lab
const dir = mkdtempSync(join(tmpdir(), 'labplay-openssh-'))
const home = mkdtempSync(join(tmpdir(), 'labplay-openssh-home-'))
const PROBE = join(ROOT, 'test/fixtures/openssh/su-probe.ts')
const STUDENT_PW = 'Stud-pw-4ssh'
const ROOT_PW = 'Root-pw-4su'
let gateway: string, roomA: string, roomB: string

test.before(async () => {
  lab = await createLab({ hosts: 3 })
  ;[gateway, roomA, roomB] = lab.hosts.map((h) => h.name) as [string, string, string]
  // The room answers only through the gateway: replies to the controller's address are dropped there.
  for (const room of [roomA, roomB]) await lab.exec(room, `ip route add blackhole ${lab.controllerAddress}/32`)
  // The gateway also takes passwords: a student account, and root's password for su.
  await lab.exec(gateway, `useradd -m -s /bin/bash student && printf '%s\\n' 'student:${STUDENT_PW}' 'root:${ROOT_PW}' | chpasswd`)
  const config = join(lab.dir, gateway, 'sshd_config')
  writeFileSync(config, readFileSync(config, 'utf8').replace('PasswordAuthentication no', 'PasswordAuthentication yes'))
  await lab.stopSsh(gateway)
  await lab.startSsh(gateway)
  const [g, a, b] = lab.hosts.map((h) => h.address)
  writeFileSync(join(dir, 'ssh.cfg'), [
    '# The physics rooms sit behind the building gateway.',
    'Host gateway',
    `    HostName ${g}`,
    'Host room-*',
    '    ProxyJump gateway',
    `Host room-a`,
    `    HostName ${a}`,
    `Host room-b`,
    `    HostName ${b}`,
    'Host *',
    '    User root',
    `    IdentityFile ${lab.privateKey}`,
    '    IdentitiesOnly yes',
    '    StrictHostKeyChecking accept-new',
    `    UserKnownHostsFile ${join(dir, 'known_hosts')}`,
    '    ConnectTimeout 5',
    '',
  ].join('\n'))
  writeFileSync(join(dir, 'known_hosts'), '')
  writeFileSync(join(dir, 'ansible.cfg'), '[defaults]\ninventory = ./hosts\nforks = 10\n\n[ssh_connection]\nssh_args = -F ./ssh.cfg -o ControlMaster=auto -o ControlPersist=60s\n')
  writeFileSync(join(dir, 'hosts'), '[room]\nroom-a\nroom-b\n')
  writeFileSync(join(dir, 'site.yml'), '- hosts: room\n  gather_facts: true\n  roles:\n    - role: lab-notice\n      vars: { room: physics }\n')
})

test.after.always(() => cleanUp(lab, dir, home))

function labplay(args: string[], opts: { input?: string; cwd?: string } = {}) {
  return lab.controller(['node', BIN, ...args], { cwd: opts.cwd ?? dir, input: opts.input, env: { ...process.env, HOME: home, NO_COLOR: '1', SSH_AUTH_SOCK: '' }, timeoutMs: 120_000 })
}

function accepted(host: string): number {
  return (readFileSync(join(lab.dir, host, 'sshd.log'), 'utf8').match(new RegExp(`Accepted \\w+ for \\w+ from ${lab.controllerAddress.replaceAll('.', '\\.')} `, 'g')) ?? []).length
}

test.serial('a room behind a gateway: ansible.cfg ssh_args -F, one shared jump connection, as OpenSSH reaches it', async (t) => {
  const direct = await lab.controller(['ssh', '-o', 'ConnectTimeout=2', '-o', 'BatchMode=yes', '-i', lab.privateKey, `root@${lab.hosts[1]!.address}`, 'true'], { timeoutMs: 20_000 })
  t.not(direct.code, 0, 'the room cannot be reached without the gateway')
  const openssh = await lab.controller(['ssh', '-F', join(dir, 'ssh.cfg'), 'room-a', 'cat /etc/hostname'], { timeoutMs: 20_000 })
  t.is(openssh.stdout.trim(), roomA, openssh.stderr)
  writeFileSync(join(dir, 'known_hosts'), '')
  const before = accepted(gateway)
  const run = await labplay(['site.yml', '-v'])
  t.is(run.code, 0, run.stdout + run.stderr)
  t.regex(run.stdout, new RegExp(`Using ${dir}/ansible.cfg as config file`))
  for (const room of [roomA, roomB]) t.regex((await lab.exec(room, 'cat /etc/labplay/notice')).stdout, new RegExp(`room: physics\nhost: room-[ab]`))
  t.is(accepted(gateway) - before, 1, 'both rooms went through one connection to the gateway')
  const known = readFileSync(join(dir, 'known_hosts'), 'utf8')
  for (const h of lab.hosts) t.true(known.includes(h.address), `known_hosts records ${h.name} (${h.address})`)
})

test.serial('two jumps (-J gateway,room-a in ansible_ssh_common_args): each hop is reached through the one before it', async (t) => {
  const project = mkdtempSync(join(dir, 'chain-'))
  writeFileSync(join(project, 'ansible.cfg'), `[defaults]\ninventory = ./hosts\n\n[ssh_connection]\nssh_args = -F ${join(dir, 'ssh.cfg')}\n`)
  writeFileSync(join(project, 'hosts'), '[far]\nroom-b ansible_ssh_common_args="-J gateway,room-a"\n')
  writeFileSync(join(project, 'site.yml'), '- hosts: far\n  gather_facts: true\n  roles:\n    - role: lab-notice\n      vars: { room: far }\n')
  const run = await labplay(['site.yml'], { cwd: project })
  t.is(run.code, 0, run.stdout + run.stderr)
  t.regex((await lab.exec(roomB, 'cat /etc/labplay/notice')).stdout, /room: far/)
  const log = readFileSync(join(lab.dir, roomB, 'sshd.log'), 'utf8')
  t.regex(log, new RegExp(`Accepted publickey for root from ${lab.hosts[1]!.address.replaceAll('.', '\\.')} `), 'room-b was reached from room-a')
})

test.serial('host keys are checked at every hop: a changed gateway key refuses the rooms behind it', async (t) => {
  await lab.regenerateHostKey(gateway)
  const run = await labplay(['site.yml'])
  t.is(run.code, 4, run.stdout + run.stderr)
  t.regex(run.stdout + run.stderr, /room-a: jump host gateway: .*host key .*changed|room-a: jump host gateway: .*known_hosts/i)
  t.is((await lab.exec(roomA, 'cat /etc/labplay/notice')).code, 0)
  writeFileSync(join(dir, 'known_hosts'), '')
})

function target(over: Partial<SshTarget>): SshTarget {
  return {
    name: gateway, address: lab.hosts[0]!.address, port: 22, user: 'student', identityFiles: [], identitiesOnly: true,
    knownHostsFile: join(dir, 'known_hosts'), hostKeyChecking: 'accept-new', connectTimeoutMs: 10_000, ...over,
  }
}

// connectSsh inside the controller namespace (the lab's hosts are reachable only from there).
async function probe(t: import('ava').ExecutionContext, over: Partial<SshTarget>, during?: () => Promise<void>): Promise<Record<string, any>> {
  const running = lab.controller(['node', '--import', 'tsx', PROBE, JSON.stringify(target(over))], { cwd: ROOT, env: { ...process.env, HOME: home, SSH_AUTH_SOCK: '' }, timeoutMs: 60_000 })
  await during?.()
  const done = await running
  t.is(done.code, 0, done.stderr)
  return JSON.parse(done.stdout.trim().split('\n').at(-1)!) as Record<string, any>
}

test.serial('password login, and su with the become password on standard input: bytes pass unchanged, the password on no command line', async (t) => {
  const refused = await probe(t, { password: 'wrong' })
  t.regex(refused.connectError, /authentication failed for student@.* \(tried: password\)/)
  let seen = ''
  const su = await probe(t, { password: STUDENT_PW, become: { user: 'root', method: 'su', password: ROOT_PW } }, async () => {
    for (let i = 0; i < 40 && !seen.includes('sleep 2'); i++) seen = (await lab.exec(gateway, 'sleep 0.25; ps -eo args')).stdout
  })
  t.like(su, { uid: '0\n', stdinIntact: true, streamed: { code: 0, stdout: 'root\n', stderr: 'err\n' }, slow: 'slept\n' })
  t.regex(seen, /su -c/)
  t.false(seen.includes(ROOT_PW) || seen.includes(STUDENT_PW))
  const wrong = await probe(t, { password: STUDENT_PW, become: { user: 'root', method: 'su', password: 'nope' } })
  t.regex(wrong.sessionError, /the remote shell ended: su: Authentication failure/)
  t.is(wrong.streamed.code, 1)
  t.regex(wrong.streamed.stderr, /^su: Authentication failure/)
})

test.serial('-k asks the login password, ansible_become_method su takes ansible_become_password; neither is ever printed', async (t) => {
  const project = mkdtempSync(join(dir, 'pw-'))
  writeFileSync(join(project, 'hosts'), `[gw]\ngateway ansible_host=${lab.hosts[0]!.address} ansible_user=student ansible_become=true ansible_become_method=su ansible_become_password=${ROOT_PW}\n`)
  writeFileSync(join(project, 'site.yml'), '- hosts: gw\n  gather_facts: true\n  roles:\n    - role: lab-notice\n      vars: { room: gateway }\n')
  const args = ['site.yml', '-i', 'hosts', '-k', '--known-hosts', join(project, 'known_hosts'), '-vvv']
  const run = await labplay(args, { cwd: project, input: `${STUDENT_PW}\n` })
  t.is(run.code, 0, run.stdout + run.stderr)
  t.regex(run.stderr, /SSH password: /)
  t.is((await lab.exec(gateway, 'stat -c %U /etc/labplay/notice')).stdout, 'root\n')
  for (const secret of [STUDENT_PW, ROOT_PW]) t.false((run.stdout + run.stderr).includes(secret))
  const wrong = await labplay(args, { cwd: project, input: 'not-it\n' })
  t.is(wrong.code, 4)
  t.regex(wrong.stdout + wrong.stderr, /authentication failed for student@/)
})
