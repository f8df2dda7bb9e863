import test from 'ava'
import { execFile, spawn } from 'node:child_process'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import pLimit from 'p-limit'
import { contactCounter, type ContactCounter } from './helpers/contacts.ts'
import { BIN, project } from './helpers/labplay.ts'

// Bad input is a short error naming the place, exit 5, no stack trace, and no host contacted.
let counter: ContactCounter | undefined
let port = 0
const dirs: string[] = []

test.before(async () => {
  counter = await contactCounter()
  port = counter.port
})

test.after.always(() => {
  counter?.close()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

const GOOD_PLAY = `- name: ok
  hosts: all
  roles:
    - lab-notice
`

interface Case {
  title: string
  files?: Record<string, string | Buffer>
  args?: string[]
  playbook?: string
  expect: RegExp
}

const cases: Case[] = [
  { title: 'YAML syntax error in the playbook', files: { 'site.yml': '- name: x\n  hosts: all\n  roles: [lab-notice\n' }, expect: /site\.yml:\d+(:\d+)?: / },
  { title: 'playbook is not a list of plays', files: { 'site.yml': 'name: x\nhosts: all\n' }, expect: /site\.yml:1(:1)?: .*list/ },
  { title: 'unknown play key', files: { 'site.yml': '- name: x\n  hostz: all\n  roles: [lab-notice]\n' }, expect: /site\.yml:2(:3)?: .*hostz/ },
  { title: 'unknown role', files: { 'site.yml': '- name: x\n  hosts: all\n  roles:\n    - lab-notise\n' }, expect: /site\.yml:4(:\d+)?: .*lab-notise/ },
  { title: 'role variable the role does not declare', files: { 'site.yml': '- hosts: all\n  roles:\n    - role: lab-notice\n      vars:\n        rooom: m5\n' }, expect: /site\.yml:5(:\d+)?: .*rooom/ },
  { title: 'hosts of the wrong type', files: { 'site.yml': '- hosts: [a, b]\n  roles: [lab-notice]\n' }, expect: /site\.yml:1:\d+: expected a host pattern/ },
  { title: 'serial that is not a number or percentage', files: { 'site.yml': '- hosts: all\n  serial: lots\n  roles: [lab-notice]\n' }, expect: /site\.yml:2(:\d+)?: .*serial/ },
  { title: 'gather_facts that is not a boolean', files: { 'site.yml': '- hosts: all\n  gather_facts: maybe\n  roles: [lab-notice]\n' }, expect: /site\.yml:2:\d+: expected true or false/ },
  { title: 'undefined variable in a template', files: { 'site.yml': '- hosts: all\n  roles:\n    - role: lab-notice\n      vars:\n        room: "{{ no_such_var }}"\n' }, expect: /site\.yml:\d+(:\d+)?: .*no_such_var/ },
  { title: 'when that does not parse', files: { 'site.yml': '- hosts: all\n  roles:\n    - role: lab-notice\n      when: "room === 1"\n' }, expect: /site\.yml:4(:\d+)?: / },
  { title: 'vars_files naming a missing file', files: { 'site.yml': '- hosts: all\n  vars_files: [nope.yml]\n  roles: [lab-notice]\n' }, expect: /site\.yml:2(:\d+)?: .*nope\.yml/ },
  { title: 'import_playbook is not supported', files: { 'site.yml': '- import_playbook: other.yml\n' }, expect: /site\.yml:1(:\d+)?: .*import_playbook/ },
  { title: 'non-UTF-8 playbook', files: { 'site.yml': Buffer.from([0x2d, 0x20, 0x68, 0x6f, 0x73, 0x74, 0x73, 0x3a, 0x20, 0xff, 0xfe, 0x0a]) }, expect: /site\.yml.*UTF-8/i },
  { title: 'YAML alias bomb', files: { 'site.yml': `a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n` }, expect: /site\.yml.*alias/i },
  { title: 'inventory with a bad host range', files: { 'hosts.ini': '[m5]\nm5-[01:]\n' }, args: ['-i', 'hosts.ini'], expect: /hosts\.ini:2(:\d+)?: .*range/ },
  { title: 'inventory with a huge host range', files: { 'hosts.ini': '[m5]\nm5-[1:99999999]\n' }, args: ['-i', 'hosts.ini'], expect: /hosts\.ini:2(:\d+)?: / },
  { title: 'inventory with an unclosed group header', files: { 'hosts.ini': '[m5\nm5-01\n' }, args: ['-i', 'hosts.ini'], expect: /hosts\.ini:1(:\d+)?: / },
  { title: 'YAML inventory with a syntax error', files: { 'hosts.yml': 'all:\n  hosts:\n    a: {ansible_host: [\n' }, args: ['-i', 'hosts.yml'], expect: /hosts\.yml:\d+(:\d+)?: / },
  { title: 'inventory source that does not exist', args: ['-i', 'nowhere.ini'], expect: /nowhere\.ini/ },
  { title: 'limit with a bad regex', args: ['-l', '~(unclosed'], expect: /unclosed/ },
  { title: 'limit from a retry file that does not exist', args: ['-l', '@missing.retry'], expect: /missing\.retry/ },
  { title: 'unknown option', args: ['--frobnicate'], expect: /unknown option '--frobnicate'/ },
  { title: 'forks of zero', args: ['-f', '0'], expect: /--forks '0'/ },
  { title: 'extra vars from a missing file', args: ['-e', '@nope.yml'], expect: /nope\.yml/ },
  { title: 'extra vars that are broken JSON', args: ['-e', '{"a": '], expect: /extra|JSON|YAML|-e/i },
  { title: 'ansible_port that is not a port', files: { 'hosts.ini': '[lab]\nh1 ansible_host=127.0.0.1 ansible_port=eighty\n' }, args: ['-i', 'hosts.ini'], expect: /ansible_port/ },
  { title: 'a playbook that does not exist', playbook: 'nosuch.yml', expect: /playbook 'nosuch\.yml' not found/ },
]

// Two CLI processes at a time: each costs a second of CPU to start, and the machine has two cores.
const limit = pLimit(2)

function labplayIn(dir: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return limit(() => new Promise((resolve) => {
    execFile('node', [BIN, ...args], { cwd: dir, env: { ...process.env, NO_COLOR: '1', HOME: dir }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr })
    })
  }))
}

for (const c of cases) {
  test(`bad input: ${c.title}`, async (t) => {
    const dir = project({ 'site.yml': GOOD_PLAY, 'inventory.ini': `[lab]\nh1 ansible_host=127.0.0.1 ansible_port=${port}\nh2 ansible_host=127.0.0.1 ansible_port=${port}\n` })
    dirs.push(dir)
    for (const [name, content] of Object.entries(c.files ?? {})) writeFileSync(join(dir, name), content)
    const args = c.args ?? []
    const withInventory = args.includes('-i') ? args : [...args, '-i', 'inventory.ini']
    const before = counter!.count()
    const out = await labplayIn(dir, [c.playbook ?? 'site.yml', ...withInventory])
    t.is(out.code, 5, out.stdout + out.stderr)
    t.regex(out.stderr, c.expect)
    t.regex(out.stderr, /^ERROR: /)
    t.true(out.stderr.trim().split('\n').length <= 3, `short: ${out.stderr}`)
    t.notRegex(out.stderr, /^\s+at /m, 'no stack trace')
    t.notRegex(out.stdout, /PLAY RECAP/)
    t.is(counter!.count(), before, 'no host contacted')
  })
}

test('a good playbook against the same inventory does contact the hosts (the counter works)', async (t) => {
  const dir = project({ 'site.yml': GOOD_PLAY, 'inventory.ini': `[lab]\nh1 ansible_host=127.0.0.1 ansible_port=${port}\n` })
  dirs.push(dir)
  const before = counter!.count()
  const out = await labplayIn(dir, ['site.yml', '-i', 'inventory.ini', '-T', '2'])
  t.is(out.code, 4, out.stdout + out.stderr)
  t.true(counter!.count() > before)
})

test('-K with become_method su is asked, then used: not refused for a password not typed yet', async (t) => {
  const dir = project({ 'site.yml': GOOD_PLAY, 'inventory.ini': `[lab]\nh1 ansible_host=127.0.0.1 ansible_port=${port} ansible_user=admin\n` })
  dirs.push(dir)
  const before = counter!.count()
  const code = await limit(() => new Promise<number | null>((resolve) => {
    const child = spawn('node', [BIN, 'site.yml', '-i', 'inventory.ini', '-T', '2', '-b', '--become-method', 'su', '-K', '--no-records'], { cwd: dir, env: { ...process.env, NO_COLOR: '1', HOME: dir }, timeout: 60_000 })
    child.stdin.end('root-password\n')
    child.on('close', resolve)
  }))
  t.is(code, 4, 'the host is unreachable (the counter answers no SSH), not bad input')
  t.true(counter!.count() > before)
})
