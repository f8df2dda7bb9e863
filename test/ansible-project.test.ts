// A real-looking Ansible project (test/fixtures/ansible-project) run by labplay and by Debian's ansible-core,
// side by side: the same hosts, the same rendered variables (lazy templates, magic variables, group_vars
// beside the playbook, a vault file made by ansible-vault), the same `inventory --list/--host/--graph`.
// Every host is ansible_connection=local and no play gathers facts: nothing runs on a host.
import test from 'ava'
import { execFile } from 'node:child_process'
import { appendFileSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import Database from 'better-sqlite3'
import { Redactor } from '../src/engine/redact.ts'
import { sideBySide } from './helpers/beside-ansible.ts'

const FIXTURE = fileURLToPath(new URL('./fixtures/ansible-project/', import.meta.url))
const INVENTORIES = fileURLToPath(new URL('./fixtures/inventories/', import.meta.url))
const SECRETS = ['Sm6-secret-of-physics', 'winrm-never-used', 'inline-m5-admin-pw']
const dir = mkdtempSync(join(tmpdir(), 'labplay-ansible-project-'))
const home = mkdtempSync(join(tmpdir(), 'labplay-ansible-home-'))
test.after.always(() => [dir, home].forEach((d) => rmSync(d, { recursive: true, force: true })))
const { env: ENV, run, labplay } = sideBySide(home, dir)

// The project, with its vault file encrypted by ansible-vault and an inline `!vault` value under another vault id.
const ready = (async () => {
  cpSync(FIXTURE, dir, { recursive: true })
  writeFileSync(join(dir, 'lab.pass'), 'physics-lab-vault\n')
  writeFileSync(join(dir, 'm5.pass'), 'room-m5-only\n')
  const sh = promisify(execFile)
  await sh('ansible-vault', ['encrypt', '--vault-id', 'lab@lab.pass', 'inventory/group_vars/all/vault.yml'], { cwd: dir, env: ENV })
  const { stdout } = await sh('ansible-vault', ['encrypt_string', '--vault-id', 'm5@m5.pass', SECRETS[2]!, '--name', 'm5_admin_password'], { cwd: dir, env: ENV })
  appendFileSync(join(dir, 'inventory/group_vars/m5.yml'), `${stdout}\n`)
})()
const VAULT = ['--vault-id', 'lab@lab.pass', '--vault-id', 'm5@m5.pass']
const LOCAL = ['-i', 'inventory', '-e', 'ansible_connection=local']

// Values as Ansible's debug prints them (a number inside a mapping is rendered to text); secrets masked.
function normalize(value: unknown): unknown {
  const masked = new Redactor()
  SECRETS.forEach((s) => masked.add(s))
  return JSON.parse(JSON.stringify(masked.value(value), (_, v: unknown) => (typeof v === 'number' ? String(v) : v))) as unknown
}

// ansible-playbook's default output: `ok: [host] => {"msg": …}` blocks.
function ansibleReports(stdout: string): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const m of stdout.matchAll(/^ok: \[([^\]]+)\] => (\{\n[\s\S]*?\n\})$/gm)) out[m[1]!] = normalize((JSON.parse(m[2]!) as { msg: unknown }).msg)
  return out
}

function labplayReports(stdout: string): Record<string, unknown> {
  const summary = JSON.parse(stdout) as { hosts: Array<{ host: string; tasks: Array<{ role: string; message?: string }> }> }
  const out: Record<string, unknown> = {}
  for (const h of summary.hosts) {
    const report = JSON.parse(h.tasks.find((t) => t.role === 'room-report')!.message!) as Record<string, unknown>
    // The connection variables a role also gets (ansible_connection, ansible_user…) are not in Ansible's report.
    for (const key of Object.keys(report)) if (key.startsWith('ansible_')) delete report[key]
    out[h.host] = normalize(report)
  }
  return out
}

for (const target of ['m5', 'm6', 'labs:!m6-03']) {
  test(`hosts: "{{ target }}" with -e target=${target}: the same hosts and variables as ansible-playbook`, async (t) => {
    await ready
    const [ours, theirs] = await Promise.all([
      labplay(['site.yml', ...LOCAL, '-e', `target=${target}`, ...VAULT, '--no-records', '--json']),
      run('ansible-playbook', ['ansible.yml', ...LOCAL, '-e', `target=${target}`, ...VAULT]),
    ])
    t.is(theirs.code, 0, theirs.stdout + theirs.stderr)
    t.is(ours.code, 0, ours.stderr)
    const expected = ansibleReports(theirs.stdout)
    t.true(Object.keys(expected).length >= 2)
    t.deepEqual(labplayReports(ours.stdout), expected)
    // The play's name is templated too, and a decrypted value never reaches the output.
    t.regex(ours.stderr, new RegExp(`PLAY \\[report of ${target.replace(/[[\]!]/g, '\\$&')}\\]`))
    for (const secret of SECRETS) t.false((ours.stdout + ours.stderr).includes(secret))
  })
}

test('decrypted values never reach the run record', async (t) => {
  await ready
  const records = join(dir, 'runs.db')
  const ran = await labplay(['site.yml', ...LOCAL, '-e', 'target=m5', ...VAULT, '--records', records, '--json'])
  t.is(ran.code, 0, ran.stderr)
  const db = new Database(records, { readonly: true })
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[]
  const stored = JSON.stringify(tables.map((table) => db.prepare(`SELECT * FROM "${table}"`).all()))
  db.close()
  t.regex(stored, /room-report/)
  for (const secret of SECRETS) t.false(stored.includes(secret), secret)
})

test('without a vault password, the encrypted group_vars file stops the run before any host, as in Ansible', async (t) => {
  await ready
  const [ours, theirs] = await Promise.all([
    labplay(['site.yml', ...LOCAL, '-e', 'target=m5', '--no-records']),
    run('ansible-playbook', ['ansible.yml', ...LOCAL, '-e', 'target=m5']),
  ])
  t.not(theirs.code, 0)
  t.regex(theirs.stderr + theirs.stdout, /no vault secrets/)
  t.is(ours.code, 5)
  t.regex(ours.stderr, /^ERROR: inventory\/group_vars\/all\/vault\.yml: cannot decrypt this file: it is encrypted with ansible-vault and no vault password was given/m)
  const wrong = await labplay(['site.yml', ...LOCAL, '-e', 'target=m5', '--vault-id', 'lab@m5.pass', '--no-records'])
  t.is(wrong.code, 5)
  t.regex(wrong.stderr, /vault\.yml: cannot decrypt this file: no vault password given decrypts it \(it was encrypted for vault id 'lab'; tried: lab\)/)
})

test('a !vault value is decrypted only where it is used: without its password, an error naming it, never its ciphertext', async (t) => {
  await ready
  const unused = await labplay(['site.yml', ...LOCAL, '-e', 'target=m5', '--vault-id', 'lab@lab.pass', '--no-records'])
  t.is(unused.code, 0, unused.stderr)
  const used = await labplay(['site.yml', ...LOCAL, '-e', 'target=m5', '-e', '{"smb_password": "{{ m5_admin_password }}"}', '--vault-id', 'lab@lab.pass', '--no-records'])
  t.is(used.code, 5)
  t.regex(used.stderr, /^ERROR: inventory\/group_vars\/m5\.yml:3:1: host m5-01: variable 'm5_admin_password': no vault password given decrypts it \(it was encrypted for vault id 'm5'; tried: lab\)/m)
  t.notRegex(used.stderr + used.stdout, /ANSIBLE_VAULT|[0-9a-f]{40}/)
})

test('an undefined variable is an error where it is used, naming it, where it was written and the host; unused ones are not', async (t) => {
  await ready
  // labs:vars sets ansible_winrm_password from the vault and group_vars/all uplink from a fact: neither is used here.
  const play = await labplay(['site.yml', ...LOCAL, ...VAULT, '--no-records'])
  t.is(play.code, 5)
  t.is(play.stderr.trim(), `ERROR: ${dir}/site.yml:2:10: hosts: undefined variable 'target' in "{{ target }}"`)
  const role = await labplay(['site.yml', ...LOCAL, ...VAULT, '-e', 'target=m6-01', '-e', '{"printer": "{{ room_printer }}"}', '--no-records'])
  t.is(role.code, 5)
  t.is(role.stderr.trim(), `ERROR: --extra-vars: host m6-01: variable 'printer': undefined variable 'room_printer' in "{{ room_printer }}"`)
  // A secret-named variable's template is shown as written (only rendered values are secrets).
  const secretNamed = await labplay(['site.yml', ...LOCAL, ...VAULT, '-e', 'target=m6-01', '-e', '{"smb_password": "{{ nosuch_pw }}"}', '--no-records'])
  t.is(secretNamed.stderr.trim(), `ERROR: --extra-vars: host m6-01: variable 'smb_password': undefined variable 'nosuch_pw' in "{{ nosuch_pw }}"`)
  const listed = await labplay(['site.yml', ...LOCAL, ...VAULT, '-e', 'target=m5', '--list-hosts'])
  t.regex(listed.stdout, /play #1 \(m5\): report of m5\s+TAGS: \[\]\n {4}pattern: \['m5'\]\n {4}hosts \(4\):/)
})

// labplay inventory against ansible-inventory, byte for byte once both mask the same secrets.
const INVENTORY_CASES: Array<{ cwd: string; args: string[] }> = [
  { cwd: dir, args: ['-i', 'inventory', ...VAULT, '--list'] },
  { cwd: dir, args: ['-i', 'inventory', ...VAULT, '--playbook-dir', '.', '--list'] },
  { cwd: dir, args: ['-i', 'inventory', ...VAULT, '--playbook-dir', '.', '--host', 'm5-01'] },
  { cwd: dir, args: ['-i', 'inventory', ...VAULT, '--playbook-dir', '.', '-e', 'printer=override', '--host', 'm6-02'] },
  { cwd: dir, args: ['-i', 'inventory', ...VAULT, '--graph'] },
  { cwd: dir, args: ['-i', 'inventory', ...VAULT, '--graph', 'labs'] },
  { cwd: dir, args: ['-i', 'inventory', ...VAULT, '--playbook-dir', '.', '--graph', 'm5', '--vars'] },
  { cwd: join(dir, 'inventory'), args: ['-i', '.', '--vault-id', 'lab@../lab.pass', '--vault-id', 'm5@../m5.pass', '--host', 'm6-01'] },
  { cwd: INVENTORIES, args: ['-i', 'lab.ini', '--list'] },
  { cwd: INVENTORIES, args: ['-i', 'lab.ini', '--graph'] },
  { cwd: INVENTORIES, args: ['-i', 'campus.yml', '--list'] },
  { cwd: INVENTORIES, args: ['-i', 'campus.yml', '--graph', 'rooms'] },
  { cwd: INVENTORIES, args: ['-i', 'site', '--list'] },
  { cwd: INVENTORIES, args: ['-i', 'site', '--host', 'm5-03'] },
  { cwd: INVENTORIES, args: ['-i', 'site', '--graph'] },
]

for (const { cwd, args } of INVENTORY_CASES) {
  const where = cwd.startsWith(dir) ? 'the project' : 'test/fixtures/inventories'
  test(`labplay inventory ${args.join(' ')} prints what ansible-inventory prints (${where})`, async (t) => {
    await ready
    const [ours, theirs] = await Promise.all([labplay(['inventory', ...args], cwd), run('ansible-inventory', args, cwd)])
    t.is(theirs.code, 0, theirs.stderr)
    t.is(ours.code, 0, ours.stderr)
    const masked = new Redactor()
    SECRETS.forEach((s) => masked.add(s))
    t.is(ours.stdout, masked.text(theirs.stdout))
  })
}
