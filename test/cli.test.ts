import test from 'ava'
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { BIN, parseRecap, project, ROOT } from './helpers/labplay.ts'

// The CLI end to end on the controller itself (ansible_connection=local), in temp folders.
const dirs: string[] = []
test.after.always(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

function cli(args: string[], cwd: string, opts: { sigintAfter?: RegExp } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('node', [BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' } })
    let stdout = ''
    let stderr = ''
    let interrupted = false
    child.stdout.on('data', (d: Buffer) => {
      stdout += d
      if (opts.sigintAfter && !interrupted && opts.sigintAfter.test(stdout)) {
        interrupted = true
        child.kill('SIGINT')
      }
    })
    child.stderr.on('data', (d: Buffer) => (stderr += d))
    const kill = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('close', (code) => {
      clearTimeout(kill)
      resolve({ code: code ?? -1, stdout, stderr })
    })
  })
}

// A project with its own roles folder (the engine fixtures) and local hosts.
function localProject(extraVars = ''): string {
  const dir = project({
    'inventory': `[seats]\nseat-[1:3] ansible_connection=local\n\n[other]\nlocalhost\n`,
    'site.yml': `- name: marks
  hosts: seats
  roles:
    - role: marker
      vars: { dir: "{{ out }}"${extraVars} }
`,
  })
  symlinkSync(join(ROOT, 'test/fixtures/engine/roles'), join(dir, 'roles'))
  mkdirSync(join(dir, 'out'))
  dirs.push(dir)
  return dir
}

test('--version and --help', async (t) => {
  const version = await cli(['--version'], ROOT)
  t.is(version.code, 0)
  t.regex(version.stdout, /^labplay \d+\.\d+\.\d+\n$/)
  const help = await cli(['--help'], ROOT)
  t.is(help.code, 0)
  t.regex(help.stdout, /--limit PATTERN/)
  t.regex(help.stdout, /Exit codes: 0 ok, 2 a host failed, 4 a host unreachable/)
})

test('--list-hosts, --list-tasks, --list-tags and --syntax-check contact nothing', async (t) => {
  const dir = localProject()
  const hosts = await cli(['site.yml', '--list-hosts', '-l', 'seats:!seat-2', '-e', 'out=x'], dir)
  t.is(hosts.code, 0, hosts.stderr)
  t.regex(hosts.stdout, /hosts \(2\):\n\s+seat-1\n\s+seat-3\n/)
  const tasks = await cli(['site.yml', '--list-tasks', '-e', 'out=x', '--skip-tags', 'failing'], dir)
  t.regex(tasks.stdout, /marker : first mark\tTAGS: \[marker\]/)
  t.notRegex(tasks.stdout, /fails on one host/)
  t.regex(tasks.stdout, /once for all hosts.*\(once, after all hosts\)/)
  const tags = await cli(['site.yml', '--list-tags', '-e', 'out=x'], dir)
  t.regex(tags.stdout, /TASK TAGS: \[failing, marker, once\]/)
  const syntax = await cli(['site.yml', '--syntax-check', '-e', 'out=x'], dir)
  t.is(syntax.code, 0)
  t.regex(syntax.stdout, /playbook: .*site\.yml/)
  t.false(existsSync(join(dir, 'out', 'seat-1.a')))
})

test('a local run writes files, prints the recap and a JSON summary', async (t) => {
  const dir = localProject()
  const ran = await cli(['site.yml', '-e', `out=${join(dir, 'out')}`, '--json', 'run.json'], dir)
  t.is(ran.code, 0, ran.stdout + ran.stderr)
  const recap = parseRecap(ran.stdout)
  t.deepEqual([...recap.keys()], ['seat-1', 'seat-2', 'seat-3'])
  t.is(recap.get('seat-2')!.changed, 4)
  t.is(readFileSync(join(dir, 'out', 'seat-2.a'), 'utf8'), 'seat-2\n')
  t.regex(ran.stdout, /3 hosts: 3 ok \(3 changed\), 0 failed, 0 unreachable in /)
  const json = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { exitCode: number; hosts: Array<{ host: string; tasks: Array<{ task: string; status: string; durationMs: number }> }> }
  t.is(json.exitCode, 0)
  t.is(json.hosts.length, 3)
  t.like(json.hosts[0]!.tasks[0], { task: 'Gathering Facts', status: 'ok' })
  t.like(json.hosts[0]!.tasks[1], { task: 'first mark', status: 'changed' })
  t.is(typeof json.hosts[0]!.tasks[0]!.durationMs, 'number')
})

test('--json without a file writes only JSON to stdout', async (t) => {
  const dir = localProject()
  const ran = await cli(['site.yml', '-e', `out=${join(dir, 'out')}`, '--json'], dir)
  t.is(ran.code, 0, ran.stderr)
  const json = JSON.parse(ran.stdout) as { hosts: unknown[] }
  t.is(json.hosts.length, 3)
})

test('a failed host: exit 2, a retry file beside the playbook, -l @retry reruns just it', async (t) => {
  const dir = localProject(', fail_on: "{{ failing_host | default(\'\') }}"')
  const failed = await cli(['site.yml', '-e', `out=${join(dir, 'out')}`, '-e', 'failing_host=seat-2'], dir)
  t.is(failed.code, 2, failed.stdout + failed.stderr)
  t.is(parseRecap(failed.stdout).get('seat-2')!.failed, 1)
  t.regex(failed.stdout + failed.stderr, /boom on seat-2/)
  t.is(readFileSync(join(dir, 'site.retry'), 'utf8'), 'seat-2\n')
  const rerun = await cli(['site.yml', '-e', `out=${join(dir, 'out')}`, '-l', '@site.retry'], dir)
  t.is(rerun.code, 0, rerun.stdout + rerun.stderr)
  t.deepEqual([...parseRecap(rerun.stdout).keys()], ['seat-2'])
  t.false(existsSync(join(dir, 'site.retry')))
})

test('Ctrl-C stops new steps, prints the recap and exits 99; the retry file lists the unfinished hosts', async (t) => {
  const dir = localProject(', sleep: 3')
  const ran = await cli(['site.yml', '-e', `out=${join(dir, 'out')}`, '-v'], dir, { sigintAfter: /\] marker : first mark/ })
  t.is(ran.code, 99, ran.stdout + ran.stderr)
  t.regex(ran.stdout, /PLAY RECAP/)
  t.is(readFileSync(join(dir, 'site.retry'), 'utf8'), 'seat-1\nseat-2\nseat-3\n')
  t.false(existsSync(join(dir, 'out', 'seat-1.b')))
})

test('a variable named like a secret never reaches the output, the JSON summary, or a diff (hidden)', async (t) => {
  const dir = project({
    'inventory': 'seat-1 ansible_connection=local\n',
    'site.yml': '- hosts: all\n  roles:\n    - role: lab-notice\n      vars: { notice_dir: "{{ out }}", message: "wifi {{ wifi_password }}" }\n',
  })
  dirs.push(dir)
  const secret = 'Corr3ct-Horse'
  const ran = await cli(['site.yml', '-e', `out=${join(dir, 'out')}`, '-e', `wifi_password=${secret}`, '-D', '-vvv', '--json', 'run.json'], dir)
  t.is(ran.code, 0, ran.stdout + ran.stderr)
  t.regex(readFileSync(join(dir, 'out', 'notice'), 'utf8'), new RegExp(`wifi ${secret}`), 'the host gets the real value')
  t.regex(ran.stdout, /^diff hidden: contains a secret$/m, 'the diff of a file holding it is hidden')
  for (const out of [ran.stdout, ran.stderr, readFileSync(join(dir, 'run.json'), 'utf8')]) t.false(out.includes(secret))
})

test('a role that does not load fails only the playbooks that use it, before any host', async (t) => {
  const dir = project({
    'inventory': 'seat-1 ansible_connection=local\n',
    'good.yml': '- hosts: all\n  roles:\n    - role: marker\n      vars: { dir: "{{ out }}" }\n',
    'bad.yml': '- hosts: all\n  roles: [broken]\n',
  })
  dirs.push(dir)
  mkdirSync(join(dir, 'roles', 'broken'), { recursive: true })
  symlinkSync(join(ROOT, 'test/fixtures/engine/roles/marker'), join(dir, 'roles', 'marker'))
  writeFileSync(join(dir, 'roles', 'broken', 'index.ts'), 'export default {{ not typescript\n')
  mkdirSync(join(dir, 'out'))
  const good = await cli(['good.yml', '-e', `out=${join(dir, 'out')}`], dir)
  t.is(good.code, 0, good.stdout + good.stderr)
  const bad = await cli(['bad.yml'], dir)
  t.is(bad.code, 5, bad.stdout + bad.stderr)
  t.regex(bad.stderr, /^ERROR: .*roles\/broken\/index\.ts: role 'broken' does not load/)
  t.notRegex(bad.stderr, /^\s+at /m)
})
