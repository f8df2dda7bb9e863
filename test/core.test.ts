import test from 'ava'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createLab, type Lab } from './lab/lab.ts'
import { fingerprint, reportsButChangesNothing } from './helpers/host-state.ts'
import { BIN, cleanUp, labNoticePlay, labplay, project } from './helpers/labplay.ts'

// The core on five real SSH hosts: parallel run, check mode, idempotence, unreachable, host keys, quoting.
let lab: Lab
let dir: string

test.before(async () => {
  lab = await createLab({ hosts: 5 })
  dir = project({ 'site.yml': labNoticePlay(`"{{ lab_room | default('m5') }}"`) })
})

test.after.always(() => cleanUp(lab, dir))

test.serial('check mode on fresh hosts reports changes and changes nothing', async (t) => {
  const hosts = lab.hosts.map((h) => h.name)
  const ran = await reportsButChangesNothing(t, lab, hosts, fingerprint(['/etc', '/srv', '/usr/local']), () => labplay(lab, [join(dir, 'site.yml'), '-C'], { cwd: dir }))
  t.is(ran.recap.size, 5)
})

test.serial('a parallel run configures every host, a second run changes nothing', async (t) => {
  const first = await labplay(lab, [join(dir, 'site.yml')], { cwd: dir })
  t.is(first.code, 0, first.stdout + first.stderr)
  for (const h of lab.hosts) {
    t.true(first.recap.get(h.name)!.changed >= 4, `${h.name}: ${JSON.stringify(first.recap.get(h.name))}`)
    const notice = await lab.exec(h.name, 'cat /etc/labplay/notice; readlink /etc/labplay/motd; cat /etc/labplay/kernel; test -s /etc/labplay/stamped && echo stamped')
    t.is(notice.stdout, `This workstation is managed by labplay.\nroom: m5\nhost: ${h.name}\n/etc/labplay/notice\n${(await lab.exec(h.name, 'uname -r')).stdout}stamped\n`)
  }
  const logins = () => lab.hosts.map((h) => (readFileSync(join(lab.dir, h.name, 'sshd.log'), 'utf8').match(/Accepted publickey/g) ?? []).length)
  const before = logins()
  const second = await labplay(lab, [join(dir, 'site.yml')], { cwd: dir })
  t.is(second.code, 0)
  for (const h of lab.hosts) t.deepEqual(second.recap.get(h.name), { ok: 5, changed: 0, unreachable: 0, failed: 0, skipped: 0 })
  t.deepEqual(logins().map((n, i) => n - before[i]!), [1, 1, 1, 1, 1], 'one ssh connection per host for the whole run')
  t.regex(second.stdout, /5 hosts/)
})

test.serial('an unreachable host lets the others finish, exit 4, and -l @retry reruns just it', async (t) => {
  const down = lab.hosts[2]!.name
  await lab.stopSsh(down)
  try {
    const ran = await labplay(lab, [join(dir, 'site.yml'), '-e', 'room=m6'], { cwd: dir })
    t.is(ran.code, 4, ran.stdout + ran.stderr)
    t.is(ran.recap.get(down)!.unreachable, 1)
    for (const h of lab.hosts.filter((x) => x.name !== down)) {
      t.is(ran.recap.get(h.name)!.unreachable, 0)
      t.regex((await lab.exec(h.name, 'cat /etc/labplay/notice')).stdout, /room: m6/)
    }
    t.is(readFileSync(join(dir, 'site.retry'), 'utf8'), `${down}\n`)
  } finally {
    await lab.startSsh(down)
  }
  const rerun = await labplay(lab, [join(dir, 'site.yml'), '-e', 'room=m6', '-l', `@${join(dir, 'site.retry')}`], { cwd: dir })
  t.is(rerun.code, 0, rerun.stdout + rerun.stderr)
  t.deepEqual([...rerun.recap.keys()], [down])
  t.true(rerun.recap.get(down)!.changed > 0)
  t.regex((await lab.exec(down, 'cat /etc/labplay/notice')).stdout, /room: m6/)
  t.false(existsSync(join(dir, 'site.retry')))
})

test.serial('a changed host key refuses that host, clearly, and the others go on', async (t) => {
  const victim = lab.hosts[1]!.name
  await lab.regenerateHostKey(victim)
  const ran = await labplay(lab, [join(dir, 'site.yml'), '-e', 'room=m7'], { cwd: dir })
  t.is(ran.code, 4, ran.stdout + ran.stderr)
  t.is(ran.recap.get(victim)!.unreachable, 1)
  t.regex(ran.stdout + ran.stderr, /REMOTE HOST IDENTIFICATION HAS CHANGED.*known_hosts:\d+/)
  t.regex((await lab.exec(victim, 'cat /etc/labplay/notice')).stdout, /room: m6/, 'nothing ran on the refused host')
  for (const h of lab.hosts.filter((x) => x.name !== victim)) {
    t.regex((await lab.exec(h.name, 'cat /etc/labplay/notice')).stdout, /room: m7/)
  }
})

test.serial('a variable holding shell syntax is written literally and never executed', async (t) => {
  const evil = `'; touch /tmp/pwned #$(touch /tmp/pwned2)\`touch /tmp/pwned3\``
  const ran = await labplay(lab, [join(dir, 'site.yml'), '-l', '!' + lab.hosts[1]!.name, '-e', JSON.stringify({ message: evil, room: 'x; touch /tmp/pwned4' })], { cwd: dir })
  t.is(ran.code, 0, ran.stdout + ran.stderr)
  for (const h of lab.hosts.filter((x) => x.name !== lab.hosts[1]!.name)) {
    const notice = await lab.exec(h.name, 'cat /etc/labplay/notice')
    t.is(notice.stdout.split('\n')[0], evil)
    t.regex(notice.stdout, /room: x; touch \/tmp\/pwned4/)
    const pwned = await lab.exec(h.name, 'ls -a /tmp /root /etc/labplay')
    t.notRegex(pwned.stdout, /pwned/)
  }
})

test.serial('become: -u teacher -b -K runs as root through sudo; the password never shows', async (t) => {
  const host = lab.hosts[3]!
  const password = 'S3cret-pw!'
  const setup = await lab.exec(host.name, `useradd -m -s /bin/bash teacher && echo 'teacher:${password}' | chpasswd && install -d -o teacher -m 700 /home/teacher/.ssh && install -o teacher -m 600 ${lab.privateKey}.pub /home/teacher/.ssh/authorized_keys && echo 'teacher ALL=(ALL) ALL' > /etc/sudoers.d/teacher && chmod 440 /etc/sudoers.d/teacher`)
  t.is(setup.code, 0, setup.stderr)
  // The lab's sshd reads only the lab key as authorized keys, for every user.
  const inventory = join(dir, 'teacher.ini')
  writeFileSync(inventory, `[lab]\n${host.name} ansible_host=${host.address} ansible_user=teacher ansible_ssh_private_key_file=${lab.privateKey}\n`)
  const args = ['node', BIN, join(dir, 'site.yml'), '-i', inventory, '--known-hosts', lab.knownHosts, '-e', 'notice_dir=/etc/labplay-teacher', '-b', '-K', '--json', join(dir, 'become.json')]
  const ran = await lab.controller(args, { cwd: dir, input: `${password}\n`, env: { ...process.env, NO_COLOR: '1' } })
  t.is(ran.code, 0, ran.stdout + ran.stderr)
  t.is((await lab.exec(host.name, 'stat -c %U /etc/labplay-teacher/notice')).stdout, 'root\n')
  const wrong = await lab.controller([...args.slice(0, -2), '-e', 'message=again'], { cwd: dir, input: 'not-the-password\n', env: { ...process.env, NO_COLOR: '1' } })
  t.is(wrong.code, 2, wrong.stdout + wrong.stderr)
  for (const out of [ran.stdout, ran.stderr, wrong.stdout, wrong.stderr, readFileSync(join(dir, 'become.json'), 'utf8')]) {
    t.false(out.includes(password), 'password never printed')
    t.false(out.includes('not-the-password'), 'wrong password never printed')
  }
})
