import test from 'ava'
import { execFileSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { findAnsibleConfig, loadAnsibleConfig, type AnsibleSettings } from '../../src/config/ansible-cfg.ts'
import { applyAnsibleConfig } from '../../src/config/apply.ts'
import { InputError } from '../../src/errors.ts'
import { parseOptions } from '../../src/options.ts'

const PROJECT = fileURLToPath(new URL('../fixtures/ansible-cfg/project', import.meta.url))
const scratch = mkdtempSync(join(tmpdir(), 'labplay-cfg-'))
const HOME = join(scratch, 'home')
mkdirSync(HOME)
test.after.always(() => rmSync(scratch, { recursive: true, force: true }))

// Ansible's own reading: `ansible-config dump --only-changed -t all`, as NAME → value (plugin rows as plugin.key).
function ansibleDump(cwd: string, env: NodeJS.ProcessEnv = {}): Map<string, string> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ANSIBLE_')))
  const out = execFileSync('ansible-config', ['dump', '--only-changed', '-t', 'all'], { cwd, env: { ...clean, HOME, ...env }, encoding: 'utf8' })
  const rows = new Map<string, string>()
  let plugin = ''
  for (const line of out.split('\n')) {
    const heading = /^([a-z_]+):$/.exec(line)
    if (heading) plugin = heading[1]!
    const row = /^([A-Za-z_]+)\(([^)]*)\) = (.*)$/.exec(line)
    if (row) rows.set(plugin && /^[a-z]/.test(row[1]!) ? `${plugin}.${row[1]}` : row[1]!, row[3]!)
  }
  return rows
}

const list = (python: string) => JSON.parse(python.replace(/'/g, '"')) as string[]
const bool = (python: string) => python === 'True'

// ansible-config's names for the settings labplay reads, and how to read its printed value.
const COMPARED: Array<[keyof AnsibleSettings, string, (v: string) => unknown]> = [
  ['inventory', 'DEFAULT_HOST_LIST', list],
  ['remoteUser', 'DEFAULT_REMOTE_USER', String],
  ['privateKeyFile', 'DEFAULT_PRIVATE_KEY_FILE', String],
  ['forks', 'DEFAULT_FORKS', Number],
  ['hostKeyChecking', 'HOST_KEY_CHECKING', bool],
  ['rolesPath', 'DEFAULT_ROLES_PATH', list],
  ['timeout', 'DEFAULT_TIMEOUT', Number],
  ['vaultPasswordFile', 'DEFAULT_VAULT_PASSWORD_FILE', String],
  ['retryFilesEnabled', 'RETRY_FILES_ENABLED', bool],
  ['retryFilesSavePath', 'RETRY_FILES_SAVE_PATH', String],
  ['become', 'DEFAULT_BECOME', bool],
  ['becomeMethod', 'DEFAULT_BECOME_METHOD', String],
  ['becomeUser', 'DEFAULT_BECOME_USER', String],
  ['becomeAskPass', 'DEFAULT_BECOME_ASK_PASS', bool],
  ['sshArgs', 'ssh.ssh_args', String],
]

function compare(t: import('ava').ExecutionContext, cwd: string, env: NodeJS.ProcessEnv = {}): void {
  const dump = ansibleDump(cwd, env)
  const ours = loadAnsibleConfig({ cwd, env, home: HOME })
  t.is(ours.file, dump.get('CONFIG_FILE') === 'None' ? undefined : dump.get('CONFIG_FILE'))
  for (const [key, name, read] of COMPARED) {
    const theirs = dump.get(name)
    t.deepEqual(ours.settings[key]?.value, theirs === undefined ? undefined : read(theirs), `${key} (${name})`)
  }
}

test('a project ansible.cfg reads as ansible-config dump reads it: paths from the file, lists, booleans, inline comments', (t) => {
  compare(t, PROJECT)
  const ours = loadAnsibleConfig({ cwd: PROJECT, env: {}, home: HOME })
  t.deepEqual(ours.settings.forks?.place, { file: join(PROJECT, 'ansible.cfg'), line: 6 })
})

test('ANSIBLE_* variables win over the file, relative paths from the current folder', (t) => {
  compare(t, PROJECT, { ANSIBLE_FORKS: '7', ANSIBLE_HOST_KEY_CHECKING: 'yes', ANSIBLE_REMOTE_USER: 'root', ANSIBLE_INVENTORY: 'other/hosts,more',
    ANSIBLE_BECOME: 'no', ANSIBLE_SSH_ARGS: '-o ServerAliveInterval=5', ANSIBLE_ROLES_PATH: '~/roles:/srv/roles' })
})

test('found as Ansible finds it: ANSIBLE_CONFIG (a file or a folder), ./ansible.cfg, ~/.ansible.cfg; a world-writable folder is skipped with a warning', (t) => {
  const open = join(scratch, 'open')
  mkdirSync(open)
  writeFileSync(join(open, 'ansible.cfg'), '[defaults]\nforks = 3\n')
  chmodSync(open, 0o777)
  const plain = join(scratch, 'plain')
  mkdirSync(plain)
  compare(t, plain)
  t.is(loadAnsibleConfig({ cwd: plain, env: {}, home: HOME }).file, undefined)
  writeFileSync(join(HOME, '.ansible.cfg'), '[defaults]\nforks = 9\nremote_user = me\n')
  try {
    compare(t, plain)
    compare(t, open)
    const found = findAnsibleConfig({ cwd: open, env: {}, home: HOME })
    t.is(found.file, join(HOME, '.ansible.cfg'))
    t.regex(found.warnings.join('\n'), /world writable directory .*open.*ignoring it/)
    compare(t, plain, { ANSIBLE_CONFIG: PROJECT })
    compare(t, plain, { ANSIBLE_CONFIG: join(open, 'ansible.cfg') })
    t.deepEqual(findAnsibleConfig({ cwd: open, env: { ANSIBLE_CONFIG: join(open, 'ansible.cfg') }, home: HOME }).warnings, [])
  } finally {
    rmSync(join(HOME, '.ansible.cfg'))
  }
})

test('bad values are bad input at their file:line, or at the variable', (t) => {
  const dir = join(scratch, 'bad')
  mkdirSync(dir)
  const refuses = (text: string, message: RegExp, line?: number, env: NodeJS.ProcessEnv = {}) => {
    writeFileSync(join(dir, 'ansible.cfg'), text)
    const err = t.throws(() => loadAnsibleConfig({ cwd: dir, env, home: HOME }), { instanceOf: InputError })
    t.regex(err!.format(), message)
    if (line !== undefined) t.is((err as InputError).place?.line, line)
  }
  refuses('[defaults]\nforks = many\n', /ansible\.cfg:2: forks: expected a whole number, got 'many'/, 2)
  refuses('[defaults]\n\nhost_key_checking = perhaps\n', /host_key_checking: expected true or false/, 3)
  refuses('forks = 5\n', /'forks' comes before any \[section\]/, 1)
  refuses('[defaults]\njust words\n', /expected 'key = value'/, 2)
  refuses('[defaults]\n', /^\$ANSIBLE_TIMEOUT: timeout: expected a whole number, got 'soon'/, undefined, { ANSIBLE_TIMEOUT: 'soon' })
  writeFileSync(join(dir, 'ansible.cfg'), '[privilege_escalation]\nbecome_method = doas\n')
  const o = parseOptions(['site.yml'])
  const err = t.throws(() => applyAnsibleConfig(o, loadAnsibleConfig({ cwd: dir, env: {}, home: HOME }).settings), { instanceOf: InputError })
  t.regex(err!.format(), /ansible\.cfg:2: become_method 'doas': expected sudo or su/)
})

test('the command line wins over ansible.cfg; the rest is filled in, labplay keeping its defaults where nothing is set', (t) => {
  const settings = loadAnsibleConfig({ cwd: PROJECT, env: {}, home: HOME }).settings
  const o = parseOptions(['site.yml', '-f', '3', '-u', 'alice', '--become-method', 'sudo'])
  const extras = applyAnsibleConfig(o, settings)
  t.is(o.forks, 3)
  t.is(o.user, 'alice')
  t.is(o.becomeMethod, 'sudo')
  t.true(o.become)
  t.is(o.hostKeyChecking, 'off')
  t.is(o.connectTimeoutS, 30)
  t.deepEqual(o.inventories, [], "ansible.cfg's inventory is not filled in: src/inventory/default.ts decides when it is read")
  t.is(o.privateKey, join(HOME, '.ssh/lab_ed25519'))
  t.deepEqual(extras.rolesPath, [join(PROJECT, 'roles'), '/usr/share/ansible/roles'])
  t.is(extras.retryDir, join(PROJECT, 'retry'))
  t.is(extras.sshArgs, '-F ./ssh.cfg -o ControlMaster=auto -o ControlPersist=60s')
  t.is(extras.vault?.passwordFile, join(PROJECT, '.vault_pass'))
  const none = parseOptions(['site.yml', '-i', 'x.ini', '--host-key-checking', 'strict'])
  const defaults = applyAnsibleConfig(none, {})
  t.deepEqual(none.inventories, ['x.ini'])
  t.is(none.hostKeyChecking, 'strict')
  t.is(none.forks, 50)
  t.true(defaults.retryFiles)
})
