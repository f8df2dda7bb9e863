import test from 'ava'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createLab, type Lab } from './lab/lab.ts'
import { faultProject, labplayRun, playbook, shown, type Timed } from './fixtures/faults/run.ts'

// Secrets never show: the become password (-K) and variables marked secret by their name
// (ending in _password, _secret or _token) stay out of every output channel at every verbosity.
// Host key checking is on unless turned off explicitly, and labplay says so when it is off.
let lab: Lab
const dirs: string[] = []
const DB_PASSWORD = 'Pw-7f3a9c-DB'
// A quote inside: in a command it travels as bash's $'…' quoting, which must not slip past the masking.
const API_TOKEN = "tok-51e0b2'x-api-77aa"
const SUDO_PASSWORD = 'sudo-S3cret-4d1'
const WRONG_SUDO_PASSWORD = 'not-the-sudo-9e2'
// What must never show: each secret, and each run of 6+ characters of it (a quoted or escaped form shows those).
const SECRETS = [DB_PASSWORD, API_TOKEN, SUDO_PASSWORD, WRONG_SUDO_PASSWORD]
const FRAGMENTS = [...new Set(SECRETS.flatMap((s) => [s, ...s.split(/['"\\\s]/).filter((f) => f.length >= 6)]))]

test.before(async () => {
  lab = await createLab({ hosts: 2 })
  const teacher = lab.hosts[0]!.name
  const setup = await lab.exec(teacher, `useradd -m -s /bin/bash teacher && echo 'teacher:${SUDO_PASSWORD}' | chpasswd && echo 'teacher ALL=(ALL) ALL' > /etc/sudoers.d/teacher && chmod 440 /etc/sudoers.d/teacher`)
  if (setup.code !== 0) throw new Error(setup.stderr)
})

test.after.always(async () => {
  await lab?.destroy()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

function secretProject(): string {
  const dir = faultProject({
    'site.yml': playbook('secret', { db_password: '{{ db_password }}', api_token: '{{ api_token }}', fail_on: '{{ fail_on }}' }),
    'secrets.json': JSON.stringify({ db_password: DB_PASSWORD, api_token: API_TOKEN, fail_on: lab.hosts[1]!.name }),
  })
  dirs.push(dir)
  return dir
}

// Every channel a secret could leak through: stdout, stderr, the retry file and any JSON summary written.
function channels(dir: string, runs: Timed[], files: string[] = []): Array<[string, string]> {
  const out: Array<[string, string]> = []
  runs.forEach((r, i) => out.push([`run ${i} stdout`, r.stdout], [`run ${i} stderr`, r.stderr]))
  for (const f of ['site.retry', ...files]) if (existsSync(join(dir, f))) out.push([f, readFileSync(join(dir, f), 'utf8')])
  return out
}

function assertNoSecret(t: { false: (v: boolean, m?: string) => void }, found: Array<[string, string]>): void {
  for (const [where, text] of found) {
    for (const secret of FRAGMENTS) {
      const line = text.split('\n').find((l) => l.includes(secret))
      t.false(line !== undefined, `${secret} shows in ${where}: ${line?.slice(0, 300)}`)
    }
  }
}

test.serial('variables named *_password / *_token never show: diffs, failed commands, check mode, -vvv, --json', async (t) => {
  const dir = secretProject()
  const args = [join(dir, 'site.yml'), '-e', '@secrets.json', '-T', '5']
  const check = await labplayRun(lab, [...args, '-C', '-D', '-vvv'], { cwd: dir })
  t.is(check.code, 0, shown(check))
  t.regex(check.stdout, /would run: test /, 'check mode reports the command (without the token)')
  const plain = await labplayRun(lab, [...args, '-D', '-vvv', '--json', 'run.json'], { cwd: dir })
  t.is(plain.code, 2, shown(plain))
  t.regex(plain.stdout, new RegExp(`failed: \\[${lab.hosts[1]!.name}\\] secret : the token is accepted => test `), 'the failure is reported (without the token)')
  t.regex(plain.stdout, /\+password=/, 'the diff is shown (without the password)')
  const json = await labplayRun(lab, [...args, '--json', '-vvv'], { cwd: dir })
  t.is(json.code, 2, shown(json))
  t.true(JSON.parse(json.stdout).hosts.length === 2, 'the JSON summary went to stdout')
  for (const h of lab.hosts) {
    t.is((await lab.exec(h.name, 'cat /srv/faults-secret/db.conf')).stdout, `password=${DB_PASSWORD}\n`, `${h.name}: the secret did reach the host`)
  }
  t.true(existsSync(join(dir, 'site.retry')))
  assertNoSecret(t, channels(dir, [check, plain, json], ['run.json']))
})

test.serial('an error about a variable never quotes a secret value (bad input, exit 5)', async (t) => {
  const dir = secretProject()
  writeFileSync(join(dir, 'port.json'), JSON.stringify({ ansible_port: '{{ db_password }}' }))
  const ran = await labplayRun(lab, [join(dir, 'site.yml'), '-e', '@secrets.json', '-e', '@port.json', '-vvv'], { cwd: dir })
  t.is(ran.code, 5, shown(ran))
  t.regex(ran.stderr, /^ERROR: .*ansible_port/)
  assertNoSecret(t, channels(dir, [ran]))
})

test.serial('the become password (-K, from stdin) never shows, right or wrong, at -vvv and in --json', async (t) => {
  const dir = faultProject({ 'site.yml': `- name: become\n  hosts: lab\n  roles:\n    - role: lab-notice\n      vars: { notice_dir: /etc/labplay-become }\n` })
  dirs.push(dir)
  const host = lab.hosts[0]!
  const inventory = join(dir, 'teacher.ini')
  writeFileSync(inventory, `[lab]\n${host.name} ansible_host=${host.address} ansible_user=teacher ansible_ssh_private_key_file=${lab.privateKey}\n`)
  const args = [join(dir, 'site.yml'), '-b', '-K', '-vvv', '-T', '5']
  const right = await labplayRun(lab, [...args, '--json', 'right.json'], { cwd: dir, inventory, input: `${SUDO_PASSWORD}\n` })
  t.is(right.code, 0, shown(right))
  t.is((await lab.exec(host.name, 'stat -c %U /etc/labplay-become/notice')).stdout, 'root\n', 'ran as root through sudo')
  const wrong = await labplayRun(lab, [...args, '-e', 'message=again', '--json', 'wrong.json'], { cwd: dir, inventory, input: `${WRONG_SUDO_PASSWORD}\n` })
  t.is(wrong.code, 2, shown(wrong))
  t.deepEqual(readFileSync(join(dir, 'site.retry'), 'utf8'), `${host.name}\n`)
  const toStdout = await labplayRun(lab, [...args, '-e', 'message=third', '--json'], { cwd: dir, inventory, input: `${WRONG_SUDO_PASSWORD}\n` })
  t.is(toStdout.code, 2, shown(toStdout))
  assertNoSecret(t, channels(dir, [right, wrong, toStdout], ['right.json', 'wrong.json']))
})

test.serial('host key checking is on by default (accept-new refuses a changed key); off must be asked for and is announced', async (t) => {
  const dir = faultProject({ 'site.yml': `- name: keys\n  hosts: lab\n  roles:\n    - role: lab-notice\n      vars: { notice_dir: /etc/labplay-keys }\n` })
  dirs.push(dir)
  const help = await labplayRun(lab, ['--help'], { cwd: dir })
  t.regex(help.stdout, /--host-key-checking strict\|accept-new\|off\s+\(default accept-new/)
  const first = await labplayRun(lab, [join(dir, 'site.yml'), '-T', '5'], { cwd: dir })
  t.is(first.code, 0, shown(first))
  t.notRegex(first.stderr, /host key checking is off/)
  const victim = lab.hosts[1]!.name
  await lab.regenerateHostKey(victim)
  const refused = await labplayRun(lab, [join(dir, 'site.yml'), '-T', '5', '-e', 'message=refused'], { cwd: dir })
  t.is(refused.code, 4, shown(refused))
  t.regex(refused.stdout + refused.stderr, /REMOTE HOST IDENTIFICATION HAS CHANGED/)
  const off = await labplayRun(lab, [join(dir, 'site.yml'), '-T', '5', '-e', 'message=off', '--host-key-checking', 'off'], { cwd: dir })
  t.is(off.code, 0, shown(off))
  t.regex(off.stderr, /^\[WARNING\]: host key checking is off/m)
  t.is((await lab.exec(victim, 'head -1 /etc/labplay-keys/notice')).stdout, 'off\n', 'with checking off the run did reach the host')
  const again = await labplayRun(lab, [join(dir, 'site.yml'), '-T', '5', '-e', 'message=again'], { cwd: dir })
  t.is(again.code, 4, 'turning it off once did not record the new key: the default still refuses')
})
