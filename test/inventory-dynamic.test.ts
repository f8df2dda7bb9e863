// Inventory scripts, constructed and generator plugin files, and hosts with a connection labplay does not
// drive, compared with Debian's ansible-core on test/fixtures/inventories-dynamic: `labplay inventory --list`
// against `ansible-inventory --list`, `--list-hosts` against ansible-playbook's. Nothing runs on a host but
// the facts read of local hosts (read-only).
import test from 'ava'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { InputError } from '../src/errors.ts'
import { loadInventory } from '../src/inventory/index.ts'
import { sideBySide } from './helpers/beside-ansible.ts'

const FIXTURES = fileURLToPath(new URL('./fixtures/inventories-dynamic/', import.meta.url))
const home = mkdtempSync(join(tmpdir(), 'labplay-dyninv-'))
test.after.always(() => rmSync(home, { recursive: true, force: true }))
const { run, labplay } = sideBySide(home, FIXTURES)

const SOURCES = ['script/cmdb.sh', 'script/legacy.sh', 'constructed', 'generator.yml', 'mixed/hosts.ini', 'script/cmdb.sh,mixed/hosts.ini']

for (const source of SOURCES) {
  test(`labplay inventory --list prints what ansible-inventory --list prints: ${source}`, async (t) => {
    const args = source.split(',').flatMap((s) => ['-i', s])
    const [ours, theirs] = await Promise.all([labplay(['inventory', '--list', ...args]), run('ansible-inventory', ['--list', ...args])])
    t.is(ours.code, 0, ours.stderr)
    t.is(theirs.code, 0, theirs.stderr)
    t.deepEqual(JSON.parse(ours.stdout), JSON.parse(theirs.stdout))
  })
}

test('a WinRM room and network switches stay listed and selectable: --list-hosts as ansible-playbook', async (t) => {
  const dir = mkdtempSync(join(home, 'mixed-'))
  writeFileSync(join(dir, 'site.yml'), '- hosts: all\n  gather_facts: false\n  roles: []\n')
  for (const args of [['-l', 'linux-room'], ['-l', 'windows-room'], [], ['-l', 'building:!switches']]) {
    const all = ['site.yml', '-i', join(FIXTURES, 'mixed/hosts.ini'), '--list-hosts', ...args]
    const [ours, theirs] = await Promise.all([labplay(all, dir), run('ansible-playbook', all, dir)])
    t.is(ours.code, 0, ours.stderr)
    const hosts = (out: string) => out.split('\n').filter((l) => /^\s{6}\S/.test(l)).map((l) => l.trim())
    // ansible-playbook lists a play's hosts in hash order: compare the sets.
    t.deepEqual(hosts(ours.stdout).sort(), hosts(theirs.stdout).sort(), args.join(' '))
    t.true(hosts(ours.stdout).length > 0)
  }
})

test('a run that reaches a WinRM host fails that host with the reason; the other hosts run', async (t) => {
  const dir = mkdtempSync(join(home, 'run-'))
  writeFileSync(join(dir, 'hosts'), '[linux]\nseat-a ansible_connection=local\n\n[windows]\nw-01 ansible_connection=winrm ansible_winrm_password=never-shown\n')
  writeFileSync(join(dir, 'site.yml'), '- hosts: all\n  gather_facts: true\n  roles: []\n')
  const out = await labplay(['site.yml', '-i', 'hosts', '--no-records'], dir)
  t.is(out.code, 4, out.stdout + out.stderr)
  t.regex(out.stdout + out.stderr, /w-01: ansible_connection 'winrm' is not one labplay drives/)
  t.regex(out.stdout, /seat-a\s+: ok=\d+\s+changed=0\s+unreachable=0\s+failed=0/)
  t.regex(out.stdout, /2 hosts: 1 ok \(0 changed\), 0 failed, 1 unreachable/)
  t.regex(out.stdout, /w-01\s+: ok=0\s+changed=0\s+unreachable=1/)
  t.false((out.stdout + out.stderr).includes('never-shown'))
})

function tree(files: Record<string, string>, executable: string[] = []): string {
  const dir = mkdtempSync(join(home, 'inv-'))
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  for (const name of executable) chmodSync(join(dir, name), 0o755)
  return dir
}

test('a failing inventory script is bad input naming the script and what went wrong', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['#!/bin/sh\necho "CMDB unreachable" >&2\nexit 3\n', /inventory script inv\.sh --list: exited with 3: CMDB unreachable/],
    ['#!/bin/sh\necho "not json"\n', /inv\.sh --list: expected JSON, got "not json"/],
    ['#!/bin/sh\necho "[1, 2]"\n', /inv\.sh --list: expected a JSON object, got a list/],
    ['#!/bin/sh\necho \'{"g": {"hosts": "h1"}}\'\n', /inv\.sh --list: hosts of group "g": expected a list of names/],
    ['#!/bin/sh\n[ "$1" = --list ] && echo \'{"g": ["h1"]}\' || exit 1\n', /inventory script inv\.sh --host h1: exited with 1/],
    ['#!/nonexistent/interpreter\n', /inventory script inv\.sh --list: cannot be run \(ENOENT\)/],
  ]
  for (const [script, message] of cases) {
    const cwd = tree({ 'inv.sh': script }, ['inv.sh'])
    const err = await t.throwsAsync(loadInventory(['inv.sh'], { cwd }), { instanceOf: InputError })
    t.regex(err!.format(), message)
  }
})

test('constructed: an expression outside labplay\'s language is refused at its line; strict makes a failing one an error', async (t) => {
  const hosts = 'all:\n  hosts:\n    h1: { os: Debian }\n'
  const syntax = tree({ 'a.yml': hosts, 'b.yml': 'plugin: constructed\ncompose:\n  short: inventory_hostname[:2]\n' })
  const err = await t.throwsAsync(loadInventory([syntax], { cwd: syntax }), { instanceOf: InputError })
  t.regex(err!.format(), /b\.yml:3:3: compose short: "inventory_hostname\[:2\]": .*labplay's expressions/)
  const strict = tree({ 'a.yml': hosts, 'b.yml': 'plugin: constructed\nstrict: true\ngroups:\n  gpu: has_gpu\n' })
  const failed = await t.throwsAsync(loadInventory([strict], { cwd: strict }), { instanceOf: InputError })
  t.regex(failed!.message, /host h1: groups gpu: .*has_gpu/)
  const lenient = tree({ 'a.yml': hosts, 'b.yml': 'plugin: constructed\ngroups:\n  gpu: has_gpu\n  debian: os == "Debian"\n' })
  const inv = await loadInventory([lenient], { cwd: lenient })
  t.deepEqual(inv.groups.get('debian')?.hosts, ['h1'])
  t.is(inv.groups.get('gpu'), undefined)
})
