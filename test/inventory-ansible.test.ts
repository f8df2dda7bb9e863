// Compares labplay's inventory with Debian's ansible-core on the fixtures in
// test/fixtures/inventories: which hosts each pattern selects, in which order, and each host's vars.
// Patterns go through ansible-core's own InventoryManager.subset + list_hosts (what
// `ansible PATTERN -l LIMIT --list-hosts` calls) in one Python process per inventory, since
// starting ansible costs about a second; a few real `ansible --list-hosts` and
// `ansible-inventory --host` runs check that shortcut.
import test from 'ava'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pLimit from 'p-limit'
import { InputError } from '../src/errors.ts'
import { applyLimit, hostVars, loadInventory, selectHosts } from '../src/inventory/index.ts'
import type { Inventory } from '../src/inventory/types.ts'

const FIXTURES = fileURLToPath(new URL('./fixtures/inventories/', import.meta.url))
const MAGIC = ['inventory_hostname', 'inventory_hostname_short', 'group_names', 'groups', 'inventory_file', 'inventory_dir']
const ENV = {
  ...process.env,
  HOME: mkdtempSync(join(tmpdir(), 'labplay-ansible-')),
  ANSIBLE_LOCALHOST_WARNING: 'False',
  ANSIBLE_INVENTORY_UNPARSED_WARNING: 'False',
  ANSIBLE_DEPRECATION_WARNINGS: 'False',
  ANSIBLE_NOCOLOR: '1',
}

const DRIVER = `
import json, sys
from ansible.cli.inventory import InventoryCLI
from ansible.errors import AnsibleError
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.vars.manager import VariableManager

req = json.load(sys.stdin)
loader = DataLoader()
inventory = InventoryManager(loader=loader, sources=req['sources'])
variables = VariableManager(loader=loader, inventory=inventory)

# CLI.get_host_list minus its final "no hosts to target" check, which is the CLI's business.
def listing(pattern, subset):
    try:
        inventory.subset(subset)
        return {'hosts': [str(h) for h in inventory.list_hosts(pattern)]}
    except AnsibleError as e:
        return {'error': str(e)}

out = {'patterns': [listing(p, None) for p in req['patterns']],
       'limits': [listing(p, l) for p, l in req['limits']],
       'hostvars': {}, 'group_names': {}, 'groups': {}}
inventory.subset(None)
for host in inventory.hosts.values():
    v = variables.get_vars(host=host, include_hostvars=False, stage='all')
    out['group_names'][host.name] = v['group_names']
    out['groups'] = v['groups']
    out['hostvars'][host.name] = InventoryCLI._remove_internal(v)
json.dump(out, sys.stdout, default=str)
`

interface Listing {
  hosts?: string[]
  error?: string
}

interface AnsibleView {
  patterns: Listing[]
  limits: Listing[]
  hostvars: Record<string, Record<string, unknown>>
  group_names: Record<string, string[]>
  groups: Record<string, string[]>
}

interface Case {
  sources: string[]
  patterns: string[]
  limits: [string, string][]
}

const CASES: Record<string, Case> = {
  'lab.ini (INI: ranges, children, :vars)': {
    sources: ['lab.ini'],
    patterns: [
      'all', '*', 'm5', 'lab', 'm5:m6', 'm5,m6', 'm6:m5', 'web:m5', ' m5 , m6 ',
      'lab:&web', 'm5:&lab:!m5-03', 'lab:!m5', '!m5', '&web', '!m5:!m6:!servers', 'all:!lab:!servers',
      'servers:!gateway:&servers', 'm5-01:&web', 'web,&lab', 'm5,!m5-0*',
      'm5[0]', 'm5[-1]', 'm5[0:2]', 'm5[16:]', 'm5[0:2]:web', 'lab[20]', 'lab[0:0]', 'm6[2:1]', 'm5[1-3]', 'm5[5],m6[-2]',
      '~m5-0[1-3]', '~^m[56]-[a1]', '~(web|m6)', '~.*\\.example\\.org', '~M5', '~m5-0[1-3],~pc',
      '*-0?', 'm5-1*', 'www?.example.org', '*.example.org', 'm?-[ab]', 'pc-1-?', 'm[!5]*', 'm5-0[1-3]',
      'gateway', 'gateway:nfs', 'nfs,gateway', 'nosuchhost', 'nosuch*:m6', 'ungrouped', 'ungr*', 'localhost',
      'printer-m5', 'printer-m5:2200', 'm5:web:!m5-0[1-5]', 'web[9]', '~(',
    ],
    limits: [['all', 'm5'], ['lab', '@failed-hosts.txt'], ['m5:m6', '!m5-03'], ['all', 'web:&lab'], ['web', 'm5[0:3]'], ['m6', 'm5']],
  },
  'campus.yml (YAML)': {
    sources: ['campus.yml'],
    patterns: [
      'all', '*', 'rooms', 'b1:b2', 'b2:b1', 'rooms:&staff', 'staff:!rooms', '!rooms', 'rooms[0]', 'rooms[-1]',
      'rooms[2:5]', 'b1-0?', '~b[12]-', 'prn-*:dns', 'controller', 'ungrouped', 'ns1.example.org', '*.example.org',
      'printers,staff', 'all:!b1-05', 'staff[1]:controller', 'b1-05:2201',
    ],
    limits: [['all', 'rooms:!b1-02'], ['staff', 'b1']],
  },
  'site/ (folder, group_vars/, host_vars/)': {
    sources: ['site'],
    patterns: [
      'all', '*', 'lab', 'm5', 'm5_front', 'm5:!m5_front', 'teachers:&lab', 'teachers:!lab', 'lab:servers', 'servers:lab',
      'lab[3:5]', 'm5_front[-1]', '~^m5-0[246]', 'm6-0?:desk-*', 'ghosts', 'ghost-1', 'hidden-host', 'retry-host',
      '!lab', 'desk-1,&teachers', 'lab:teachers:!m5-0[1:2]',
    ],
    limits: [['all', 'teachers'], ['lab', '@failed-hosts.txt']],
  },
  // Not lab.ini + campus.yml: there two groups under `all` have children, and ansible-core orders
  // their hosts in `all` by Python set order (memory addresses), which changes from run to run.
  'lab.ini + site/ + a host list (three sources)': {
    sources: ['lab.ini', 'site', 'extra-1,extra-2:2022,'],
    patterns: ['all', 'lab', 'm5', 'm5_front:web', '*:!m5', 'ungrouped', 'extra*', 'teachers:&web', 'lab[17:19]'],
    limits: [['all', 'servers:extra-1']],
  },
}

// A few real CLI runs: the in-process shortcut above must say what the commands say.
const CLI_CHECKS = [
  { sources: ['lab.ini'], pattern: 'm5:&lab:!m5-03' },
  { sources: ['lab.ini'], pattern: 'm5[0:2]:web' },
  { sources: ['campus.yml'], pattern: '~b[12]-0[2-4]' },
  { sources: ['site'], pattern: 'all' },
]
const HOST_CHECKS = [
  { sources: ['site'], host: 'm5-03' },
  { sources: ['lab.ini'], host: 'samba' },
]

const limit = pLimit(2)

function run(command: string, args: string[], input = ''): Promise<string> {
  return limit(() => new Promise<string>((resolve, reject) => {
    const child = spawn(command, args, { cwd: FIXTURES, env: ENV })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr}`))))
    child.stdin.end(input)
  }))
}

// The Python that runs ansible, read from the ansible script's own #! line.
function ansiblePython(): string {
  const path = (process.env.PATH ?? '').split(':').map((dir) => join(dir, 'ansible'))
    .find((file) => { try { return readFileSync(file, 'utf8').startsWith('#!') } catch { return false } })
  if (!path) throw new Error('ansible-core is not installed (apt-get install ansible-core)')
  return (readFileSync(path, 'utf8').split('\n')[0] ?? '').slice(2).trim().split(/\s+/)[0] ?? 'python3'
}

const views = new Map<Case, Promise<AnsibleView>>()
function ansibleView(c: Case): Promise<AnsibleView> {
  let view = views.get(c)
  if (!view) {
    view = run(ansiblePython(), ['-c', DRIVER], JSON.stringify(c)).then((out) => JSON.parse(out) as AnsibleView)
    views.set(c, view)
  }
  return view
}

function ours(inv: Inventory, pattern: string, limitPattern?: string): Listing {
  try {
    const hosts = selectHosts(inv, pattern, { cwd: FIXTURES })
    return { hosts: limitPattern === undefined ? hosts : applyLimit(inv, hosts, limitPattern, { cwd: FIXTURES }) }
  } catch (e) {
    if (e instanceof InputError) return { error: e.message }
    throw e
  }
}

for (const [title, c] of Object.entries(CASES)) {
  test(`patterns on ${title} select what ansible selects`, async (t) => {
    const [view, inv] = await Promise.all([ansibleView(c), loadInventory(c.sources, { cwd: FIXTURES })])
    for (const [i, pattern] of c.patterns.entries()) {
      const expected = view.patterns[i] ?? {}
      const actual = ours(inv, pattern)
      // Where ansible refuses a pattern (--list-hosts then warns and lists none), we refuse it too.
      if (expected.error) t.truthy(actual.error, `pattern ${JSON.stringify(pattern)}: ansible says "${expected.error}", we list ${actual.hosts?.join(' ')}`)
      else t.deepEqual(actual, expected, `pattern ${JSON.stringify(pattern)}`)
    }
    for (const [i, [pattern, limitPattern]] of c.limits.entries()) {
      const expected = view.limits[i] ?? {}
      const hosts = expected.error ? { hosts: [] } : expected
      t.deepEqual(ours(inv, pattern, limitPattern), hosts, `pattern ${JSON.stringify(pattern)} with -l ${JSON.stringify(limitPattern)}`)
    }
  })

  test(`host vars on ${title} are ansible's`, async (t) => {
    const [view, inv] = await Promise.all([ansibleView(c), loadInventory(c.sources, { cwd: FIXTURES })])
    t.deepEqual([...inv.hosts.keys()], Object.keys(view.hostvars))
    for (const [host, expected] of Object.entries(view.hostvars)) {
      const vars = hostVars(inv, host)
      const own = Object.fromEntries(Object.entries(vars).filter(([key]) => !MAGIC.includes(key)))
      t.deepEqual(own, expected, `vars of ${host}`)
      t.deepEqual(vars.group_names, view.group_names[host], `group_names of ${host}`)
      t.deepEqual(vars.groups, view.groups, `groups seen from ${host}`)
    }
  })
}

test('the in-process comparison agrees with real `ansible --list-hosts` runs', async (t) => {
  await Promise.all(CLI_CHECKS.map(async ({ sources, pattern }) => {
    const out = await run('ansible', [pattern, ...sources.flatMap((s) => ['-i', s]), '--list-hosts'])
    const m = /hosts \((\d+)\):\n((?: {4}.*\n?)*)/.exec(out)
    const listed = (m?.[2] ?? '').split('\n').map((line) => line.trim()).filter(Boolean)
    t.is(listed.length, Number(m?.[1]), out)
    const inv = await loadInventory(sources, { cwd: FIXTURES })
    t.deepEqual(selectHosts(inv, pattern), listed, `ansible ${pattern} -i ${sources.join(' -i ')} --list-hosts`)
  }))
})

test('the in-process comparison agrees with real `ansible-inventory --host` runs', async (t) => {
  await Promise.all(HOST_CHECKS.map(async ({ sources, host }) => {
    const expected = JSON.parse(await run('ansible-inventory', [...sources.flatMap((s) => ['-i', s]), '--host', host])) as Record<string, unknown>
    const inv = await loadInventory(sources, { cwd: FIXTURES })
    const vars = hostVars(inv, host)
    t.deepEqual(Object.fromEntries(Object.keys(expected).map((key) => [key, vars[key]])), expected, `ansible-inventory --host ${host}`)
  }))
})
