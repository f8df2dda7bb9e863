// The readers of the run record (history, show, report) and `image list` in an Ansible project as admins keep
// one: no ./inventory, ansible.cfg naming the inventory and the vault password file, group_vars and host_vars
// encrypted by Debian's ansible-vault. Compared with what ansible and ansible-inventory do with the same files.
// The record is written through the store (src/records/store.ts): no host is contacted.
import test from 'ava'
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { openRecords } from '../src/records/store.ts'
import { sideBySide } from './helpers/beside-ansible.ts'
import { BIN } from './helpers/labplay.ts'
import { run as exec } from './lab/run.ts'

const dir = mkdtempSync(join(tmpdir(), 'labplay-readers-'))
const home = mkdtempSync(join(tmpdir(), 'labplay-readers-home-'))
test.after.always(() => [dir, home].forEach((d) => rmSync(d, { recursive: true, force: true })))
const { env: ENV, run, labplay } = sideBySide(home, dir)
// labplay with some ANSIBLE_* variables set.
const labplayWith = (env: NodeJS.ProcessEnv, args: string[]) => exec('node', [BIN, ...args], { cwd: dir, env: { ...ENV, ...env }, timeoutMs: 120_000 })
const RECORDS = join(dir, 'state/runs.db')
const CFG = '[defaults]\ninventory = hosts.ini\nvault_password_file = vault.pass\n'
// physics is a group of groups: only the inventory can say which hosts it means.
const HOSTS = '[m5]\nm5-[1:3]\n\n[m7]\nm7-1\n\n[physics:children]\nm5\n'

// Two runs: m5's three seats, then m7-1 alone.
function recordRuns(): void {
  const records = openRecords(RECORDS)
  const host = (name: string) => ({ host: name, status: 'ok', ok: 1, changed: 0, failed: 0, skipped: 0, unreachable: 0, message: null, roles: [],
    tasks: [{ play: 'Lab', role: 'lab-notice', task: 'the notice is up', status: 'ok', changed: false, durationMs: 12, message: null, diff: null }] })
  for (const [names, at] of [[['m5-1', 'm5-2', 'm5-3'], '2026-12-01T09:00:00Z'], [['m7-1'], '2026-12-02T09:00:00Z']] as const) {
    const id = records.startRun({ playbook: join(dir, 'site.yml'), command: 'labplay site.yml', user: 'admin', startedAt: at, check: false })
    records.finishRun(id, { endedAt: at.replace(':00:00Z', ':01:00Z'), exitCode: 0, hosts: names.map(host) })
  }
  records.close()
}

const ready = (async () => {
  mkdirSync(join(dir, 'group_vars'))
  mkdirSync(join(dir, 'host_vars'))
  writeFileSync(join(dir, 'hosts.ini'), HOSTS)
  writeFileSync(join(dir, 'group_vars/m5.yml'), 'room_label: Physics M5\n')
  writeFileSync(join(dir, 'host_vars/m5-1.yml'), 'seat_position: "1,3"\n')
  writeFileSync(join(dir, 'vault.pass'), 'readers-vault-pw\n')
  await promisify(execFile)('ansible-vault', ['encrypt', '--vault-password-file', 'vault.pass', 'group_vars/m5.yml', 'host_vars/m5-1.yml'], { cwd: dir, env: ENV })
  recordRuns()
})()

// Sets ansible.cfg for one test; the tests run one at a time, since they share the project.
function config(text: string): void {
  writeFileSync(join(dir, 'ansible.cfg'), text)
}

// A tile of the page: its row, column and whether seat_position put it there.
function tile(html: string, host: string): string | undefined {
  return new RegExp(`data-host="${host}"[^>]*data-row="(\\d+)" data-col="(\\d+)"( data-positioned="yes")?`).exec(html)?.slice(1).join(',')
}

test.serial("ansible.cfg's inventory and vault_password_file: history and show -l resolve its groups, the report reads the encrypted seat_position", async (t) => {
  await ready
  config(CFG)
  const [history, ansible, show, report] = await Promise.all([
    labplay(['history', '-l', 'physics', '--records', RECORDS]),
    run('ansible', ['physics', '--list-hosts']),
    labplay(['show', 'last', '-l', 'physics', '--records', RECORDS]),
    labplay(['report', '-o', 'ours.html', '--records', RECORDS]),
  ])
  t.is(ansible.code, 0, ansible.stderr)
  t.deepEqual(ansible.stdout.trim().split(/\s+/).slice(2), ['m5-1', 'm5-2', 'm5-3'], 'what ansible calls physics, with the same ansible.cfg')
  t.is(history.code, 0, history.stderr)
  t.deepEqual(history.stdout.trim().split('\n').map((l) => l.split('  ')[0]), ['#1'], 'the run on m5 only, not the one on m7-1')
  t.is(show.code, 0, show.stderr)
  t.regex(show.stdout, /^run #1 /)
  t.deepEqual([...show.stdout.matchAll(/^(m\d-\d)  ok/gm)].map((m) => m[1]), ['m5-1', 'm5-2', 'm5-3'])
  t.is(report.code, 0, report.stderr)
  t.is(report.stderr, '')
  const html = readFileSync(join(dir, 'ours.html'), 'utf8')
  t.is(tile(html, 'm5-1'), '1,3, data-positioned="yes"', 'seat_position from the encrypted host_vars file')
  t.is(tile(html, 'm5-2'), '2,1,')
})

test.serial('without a vault password, history and show go on as ansible --list-hosts does; the report says what it could not read; ansible-inventory --list and labplay inventory --list refuse', async (t) => {
  await ready
  config('[defaults]\ninventory = hosts.ini\n')
  const [history, listed, show, report, graph, theirGraph, list, theirList] = await Promise.all([
    labplay(['history', '-l', 'physics', '--records', RECORDS]),
    run('ansible', ['physics', '--list-hosts']),
    labplay(['show', 'last', '-l', 'physics', '--records', RECORDS]),
    labplay(['report', '-o', 'locked.html', '--records', RECORDS]),
    labplay(['inventory', '--graph']),
    run('ansible-inventory', ['--graph']),
    labplay(['inventory', '--list']),
    run('ansible-inventory', ['--list']),
  ])
  t.is(listed.code, 0, 'ansible resolves groups without decrypting vars')
  t.is(history.code, 0, history.stderr)
  t.is(history.stderr, '')
  t.deepEqual(history.stdout.trim().split('\n').map((l) => l.split('  ')[0]), ['#1'])
  t.is(show.code, 0, show.stderr)
  t.regex(show.stdout, /^run #1 /)
  t.is(report.code, 0, report.stderr)
  const warnings = report.stderr.trim().split('\n')
  t.is(warnings.length, 2, report.stderr)
  for (const file of ['group_vars/m5.yml', 'host_vars/m5-1.yml']) {
    t.true(warnings.some((w) => w.startsWith(`[WARNING]: ${file}: cannot decrypt this file: it is encrypted with ansible-vault and no vault password was given`) &&
      w.endsWith('the report goes on without it (a seat_position in it is not used: those seats are placed by name)')), file)
  }
  const html = readFileSync(join(dir, 'locked.html'), 'utf8')
  t.is(tile(html, 'm5-1'), '1,1,', 'placed by name')
  t.is(theirGraph.code, 0)
  t.is(graph.code, 0, graph.stderr)
  t.is(graph.stdout, theirGraph.stdout)
  t.not(theirList.code, 0)
  t.regex(theirList.stderr, /no vault secrets found/)
  t.is(list.code, 5)
  t.regex(list.stderr, /^ERROR: group_vars\/m5\.yml: cannot decrypt this file: it is encrypted with ansible-vault and no vault password was given/)
})

test.serial('the vault options on the command line, $ANSIBLE_INVENTORY over ansible.cfg, and image list reading the same project', async (t) => {
  await ready
  config('[defaults]\ninventory = nosuch.ini\n')
  writeFileSync(join(dir, 'other.ini'), '[physics]\nm7-1\n')
  const [report, history, conflict, image, imageLocked] = await Promise.all([
    labplay(['report', '-o', 'given.html', '--records', RECORDS, '-i', 'hosts.ini', '--vault-password-file', 'vault.pass']),
    labplayWith({ ANSIBLE_INVENTORY: 'other.ini' }, ['history', '-l', 'physics', '--records', RECORDS]),
    labplay(['history', '-l', 'physics', '--ask-vault-pass', '--vault-password-file', 'vault.pass', '--records', RECORDS]),
    labplayWith({ ANSIBLE_INVENTORY: 'hosts.ini', ANSIBLE_VAULT_PASSWORD_FILE: 'vault.pass' }, ['image', 'list', '--group', 'm5', '--records', RECORDS]),
    labplayWith({ ANSIBLE_INVENTORY: 'hosts.ini' }, ['image', 'list', '--group', 'm5', '--records', RECORDS]),
  ])
  t.is(report.code, 0, report.stderr)
  t.is(tile(readFileSync(join(dir, 'given.html'), 'utf8'), 'm5-1'), '1,3, data-positioned="yes"')
  t.is(history.code, 0, history.stderr)
  t.deepEqual(history.stdout.trim().split('\n').map((l) => l.split('  ')[0]), ['#2'], '$ANSIBLE_INVENTORY wins over ansible.cfg: physics is m7-1 there')
  t.is(conflict.code, 5)
  t.regex(conflict.stderr, /--ask-vault-pass and --vault-password-file: give one or the other/)
  t.is(image.code, 0, image.stderr)
  t.regex(image.stdout, /^no image for group m5 \(group_vars\/m5\.yml\), 3 seats$/m)
  t.is(imageLocked.code, 5, 'image list reads group_vars for the manifest: an encrypted one needs its password, as a run')
  t.regex(imageLocked.stderr, /^ERROR: group_vars\/m5\.yml: cannot decrypt this file/)
})
