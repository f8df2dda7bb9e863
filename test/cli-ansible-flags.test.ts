// --start-at-task, --step, -c and a project's ansible.cfg on the command line, against ansible-playbook: the
// same role written both ways (labplay's marker role, an Ansible role with the same task names) on local
// hosts that only write into a temporary folder; the tasks that ran are read back from the files they left.
import test from 'ava'
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { BIN } from './helpers/labplay.ts'

const MARKER = fileURLToPath(new URL('./fixtures/engine/roles/marker', import.meta.url))
const root = mkdtempSync(join(tmpdir(), 'labplay-flags-'))
const home = join(root, 'home')
mkdirSync(home)
test.after.always(() => rmSync(root, { recursive: true, force: true }))
const ENV = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ANSIBLE_'))), HOME: home, NO_COLOR: '1', ANSIBLE_NOCOLOR: '1', ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3' }

const ANSIBLE_ROLE = `- name: first mark
  file: { path: "{{ dir }}/{{ inventory_hostname }}.a", state: touch }
- name: fails on one host
  debug: { msg: fine }
- name: skipped on one host
  file: { path: "{{ dir }}/{{ inventory_hostname }}.s", state: touch }
- name: second mark
  file: { path: "{{ dir }}/{{ inventory_hostname }}.b", state: touch }
`

function run(command: string, args: string[], cwd: string, input = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env: ENV })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d))
    child.stderr.on('data', (d: Buffer) => (stderr += d))
    child.stdin.end(input)
    const kill = setTimeout(() => child.kill('SIGKILL'), 120_000)
    child.on('close', (code) => {
      clearTimeout(kill)
      resolve({ code: code ?? -1, stdout, stderr })
    })
  })
}

// A labplay project and an Ansible one, each with its own output folder; returns the files each run left.
async function both(name: string, args: string[], input = ''): Promise<{ labplay: string[]; ansible: string[]; out: string }> {
  const made: Record<string, string[]> = {}
  let out = ''
  for (const tool of ['labplay', 'ansible']) {
    const dir = join(root, `${name}-${tool}`)
    const files = join(dir, 'out')
    mkdirSync(join(dir, 'roles'), { recursive: true })
    mkdirSync(files)
    if (tool === 'labplay') symlinkSync(MARKER, join(dir, 'roles', 'marker'))
    else {
      mkdirSync(join(dir, 'roles', 'marker', 'tasks'), { recursive: true })
      writeFileSync(join(dir, 'roles', 'marker', 'tasks', 'main.yml'), ANSIBLE_ROLE)
    }
    writeFileSync(join(dir, 'hosts'), '[seats]\nh1\nh2\n')
    writeFileSync(join(dir, 'site.yml'), `- hosts: seats\n  gather_facts: false\n  roles:\n    - role: marker\n      vars: { dir: ${files} }\n`)
    const result = tool === 'labplay'
      ? await run('node', [BIN, 'site.yml', '-i', 'hosts', '-c', 'local', '--no-records', ...args], dir, input)
      : await run('ansible-playbook', ['site.yml', '-i', 'hosts', '-c', 'local', ...args], dir, input)
    if (tool === 'labplay') out = result.stdout + result.stderr
    made[tool] = readdirSync(files).filter((f) => !f.endsWith('.handler') && f !== 'once').sort()
  }
  return { labplay: made.labplay!, ansible: made.ansible!, out }
}

test('--start-at-task starts each play at the named task, as ansible-playbook', async (t) => {
  const started = await both('start', ['--start-at-task', 'marker : skipped on one host'])
  t.deepEqual(started.labplay, started.ansible)
  t.deepEqual(started.labplay, ['h1.b', 'h1.s', 'h2.b', 'h2.s'])
  const glob = await both('glob', ['--start-at-task', 'second*'])
  t.deepEqual(glob.labplay, glob.ansible)
  const dir = join(root, 'start-labplay')
  const missing = await run('node', [BIN, 'site.yml', '-i', 'hosts', '-c', 'local', '--no-records', '--start-at-task', 'no such task'], dir)
  t.is(missing.code, 5)
  t.regex(missing.stderr, /--start-at-task 'no such task': no task has that name \(the first ones: marker : first mark, /)
})

test('--step asks before each task, once for all hosts: no, yes, then continue', async (t) => {
  const stepped = await both('step', ['--step'], 'n\ny\nc\n')
  t.deepEqual(stepped.labplay, stepped.ansible)
  t.deepEqual(stepped.labplay, ['h1.b', 'h1.s', 'h2.b', 'h2.s'])
  t.is(stepped.out.match(/Perform task: TASK: marker : first mark \(N\)o\/\(y\)es\/\(c\)ontinue: /g)?.length, 1)
  t.regex(stepped.out, /Perform task: TASK: marker : fails on one host/)
  t.regex(stepped.out, /Perform task: TASK: marker : skipped on one host/)
  t.notRegex(stepped.out, /Perform task: TASK: marker : second mark/)
  const ended = await both('step-eof', ['--step'], 'y\n')
  t.deepEqual(ended.labplay, ['h1.a', 'h2.a'], 'no answer (the input ended) is no')
})

test('a project ansible.cfg: its inventory, forks and retry settings apply; -v names it', async (t) => {
  const dir = join(root, 'cfg')
  mkdirSync(join(dir, 'roles'), { recursive: true })
  symlinkSync(MARKER, join(dir, 'roles', 'marker'))
  writeFileSync(join(dir, 'ansible.cfg'), `[defaults]\ninventory = ./inventories/lab\nforks = 2\ntransport = local\nretry_files_enabled = True\nretry_files_save_path = ${join(dir, 'retries')}\n`)
  mkdirSync(join(dir, 'inventories'))
  writeFileSync(join(dir, 'inventories', 'lab'), '[seats]\nh1\nh2\n')
  writeFileSync(join(dir, 'site.yml'), `- hosts: seats\n  gather_facts: false\n  roles:\n    - role: marker\n      vars: { dir: ${dir}, fail_on: h2 }\n`)
  const out = await run('node', [BIN, 'site.yml', '-v', '--no-records'], dir)
  t.is(out.code, 2, out.stdout + out.stderr)
  t.regex(out.stdout, new RegExp(`^Using ${dir}/ansible.cfg as config file`))
  t.deepEqual(readdirSync(join(dir, 'retries')), ['site.retry'])
  const listed = await run('node', [BIN, 'site.yml', '--list-hosts'], dir)
  t.regex(listed.stdout, /h1\n\s+h2/)
  const [ours, theirs] = await Promise.all([run('node', [BIN, 'inventory', '--list'], dir), run('ansible-inventory', ['--list'], dir)])
  t.deepEqual(JSON.parse(ours.stdout), JSON.parse(theirs.stdout), 'labplay inventory takes ansible.cfg\'s inventory too')
  const bare = mkdtempSync(join(root, 'bare-'))
  writeFileSync(join(bare, 'site.yml'), '- hosts: all\n  roles: []\n')
  const none = await run('node', [BIN, 'site.yml', '-v'], bare)
  t.is(none.code, 5)
  t.regex(none.stdout, /No config file found; using defaults/)
  t.regex(none.stderr, /no inventory: neither .*\/inventory nor \/etc\/ansible\/hosts exists; name one with -i/)
  writeFileSync(join(bare, 'inventory'), '# the room is not set up yet\n')
  const [empty, ansible] = await Promise.all([run('node', [BIN, 'site.yml', '--no-records'], bare), run('ansible-playbook', ['site.yml', '-i', 'inventory'], bare)])
  t.is(empty.code, ansible.code)
  t.regex(ansible.stderr, /\[WARNING\]: provided hosts list is empty/)
  t.regex(empty.stderr, /\[WARNING\]: provided hosts list is empty, only localhost is available/)
})
