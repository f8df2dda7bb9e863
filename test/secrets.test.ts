import test from 'ava'
import Database from 'better-sqlite3'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createLab, type Lab } from './lab/lab.ts'
import { BIN, cleanUp } from './helpers/labplay.ts'
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

test.after.always(() => cleanUp(lab, ...dirs))

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
  t.regex(plain.stdout, /^--- before\/srv\/faults-secret\/db\.conf\n\+\+\+ after\/srv\/faults-secret\/db\.conf\ndiff hidden: contains a secret$/m, 'the diff of a file written from a secret is hidden')
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

// Secrets the way admins type them (JSON and YAML -e, @files, two-character PINs) and the way seats echo them
// (JSON-escaped, ASCII-only JSON), checked in every output and in the run record's bytes (the SQLite file, its
// -wal and -shm), across a password rotation.
const OLD_PASSWORD = 'Old-Kq7-Pw-0'
// Quotes, a backslash, a newline and non-ASCII: each escaping writes it differently.
const NEW_PASSWORD = 'Zr8"q\'u\\Xö\nVuR-new'
// Too short to find by value: masked where it follows its name.
const PIN = '§¤'
const jsonBody = (s: string) => JSON.stringify(s).slice(1, -1)
const asciiBody = (s: string) => jsonBody(s).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
const WRITTEN = [...new Set([OLD_PASSWORD, NEW_PASSWORD, PIN].flatMap((s) => [s, jsonBody(s), asciiBody(s)])), 'Kq7', 'Zr8', 'VuR-new', 'Xö', 'X\\u00f6']

function assertNothingWritten(t: { false: (v: boolean, m?: string) => void }, where: string, bytes: Buffer): void {
  for (const form of WRITTEN) t.false(bytes.includes(Buffer.from(form, 'utf8')), `${JSON.stringify(form)} is in ${where}`)
}

test.serial('secrets in JSON/YAML -e, @files and short values never reach an output or the record; a diff holding one is hidden, across a rotation', async (t) => {
  const dir = faultProject({
    'site.yml': '- name: echo\n  hosts: lab\n  roles:\n    - secret-echo\n',
    'old.yml': `db_password: ${OLD_PASSWORD}\npin_secret: "${PIN}"\nnotice: posted\n`,
  })
  dirs.push(dir)
  const records = join(dir, 'runs.db')
  const site = join(dir, 'site.yml')
  const secretsJson = JSON.stringify({ db_password: NEW_PASSWORD, pin_secret: PIN })
  const first = await labplayRun(lab, [site, '-e', '@old.yml', '--records', records, '-T', '5'], { cwd: dir })
  t.is(first.code, 0, shown(first))

  const rotated = await labplayRun(lab, [site, '-e', secretsJson, '-e', '{notice: "the password is {{ db_password }}", echo: true}', '-D', '-vvv', '--json', 'rotated.json', '--records', records, '-T', '5'], { cwd: dir })
  t.is(rotated.code, 2, shown(rotated))
  for (const file of ['notice', 'db.json']) {
    t.is(rotated.stdout.split(`--- before/srv/faults-secret-echo/${file}\n+++ after/srv/faults-secret-echo/${file}\ndiff hidden: contains a secret\n`).length - 1, 2, `${file}: hidden on both hosts`)
  }
  t.regex(rotated.stdout, /the seat says: \{"password": "\*\*\*\*\*\*\*\*", "pin_secret": "\*\*\*\*\*\*\*\*"\} \{"password": "\*\*\*\*\*\*\*\*"/, 'the echo is masked in both escapings')
  t.is((await lab.exec(lab.hosts[0]!.name, 'cat /srv/faults-secret-echo/notice')).stdout, `the password is ${NEW_PASSWORD}\n`, 'the secret did reach the host')

  const plain = await labplayRun(lab, [site, '-e', secretsJson, '-e', 'notice="a plain notice"', '-D', '--records', records, '-T', '5'], { cwd: dir })
  t.is(plain.code, 0, shown(plain))
  t.regex(plain.stdout, /^\+\+\+ after\/srv\/faults-secret-echo\/notice\ndiff hidden: contains a secret$/m, 'the old side holds the secret')
  const again = await labplayRun(lab, [site, '-e', secretsJson, '-e', 'notice="another notice"', '-D', '--records', records, '-T', '5'], { cwd: dir })
  t.is(again.code, 0, shown(again))
  t.regex(again.stdout, /^-a plain notice\n\+another notice$/m, 'a diff with no secret on either side is shown')

  const bad = await Promise.all([
    labplayRun(lab, [site, '-e', `{"db_password": "${OLD_PASSWORD}`], { cwd: dir }),
    labplayRun(lab, [site, '-e', `db_password=${OLD_PASSWORD} Kq7-${OLD_PASSWORD}`], { cwd: dir }),
    labplayRun(lab, [site, '-e', `{"db_password": "{{ ${OLD_PASSWORD}"}`], { cwd: dir }),
  ])
  for (const ran of bad) {
    t.is(ran.code, 5, shown(ran))
    t.regex(ran.stderr, /^ERROR: --extra-vars:1:\d+: /)
  }

  const reader = (...args: string[]) => lab.controller(['node', BIN, ...args, '--records', records], { cwd: dir, env: { ...process.env, NO_COLOR: '1' } })
  const show = await reader('show', '2', '-D')
  t.regex(show.stdout, /command +labplay .* -e '\{"db_password":"\*\*\*\*\*\*\*\*","pin_secret":"\*\*\*\*\*\*\*\*"\}'/, 'the recorded command line masks by structure')
  t.regex(show.stdout, /^ +diff hidden: contains a secret$/m)
  const history = await reader('history', '--json')

  const db = new Database(records, { readonly: true })
  try {
    const diffs = db.prepare("SELECT run_id, host, task, diff FROM task_results WHERE diff IS NOT NULL ORDER BY run_id, seq").all() as Array<{ run_id: number; task: string; diff: string }>
    t.true(diffs.filter((d) => d.run_id === 2).every((d) => d.diff.endsWith('diff hidden: contains a secret\n')), 'the record keeps the hidden diff only')
    t.true(diffs.some((d) => d.run_id === 4 && d.diff.includes('+another notice')), 'and keeps a plain one')
  } finally {
    db.close()
  }
  const outputs = [first, rotated, plain, again, ...bad].flatMap((r, i) => [[`run ${i} stdout`, r.stdout], [`run ${i} stderr`, r.stderr]] as Array<[string, string]>)
  outputs.push(['rotated.json', readFileSync(join(dir, 'rotated.json'), 'utf8')], ['show', show.stdout + show.stderr], ['history --json', history.stdout])
  for (const [where, text] of outputs) assertNothingWritten(t, where, Buffer.from(text, 'utf8'))
  for (const file of [records, `${records}-wal`, `${records}-shm`]) if (existsSync(file)) assertNothingWritten(t, file, readFileSync(file))
  t.true(existsSync(records))
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
