import test from 'ava'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { InputError } from '../../src/errors.ts'
import { loadPlaybook, type RoleCatalog } from '../../src/playbook/index.ts'
import type { Vars } from '../../src/vars.ts'

const fixtures = 'test/fixtures/playbooks'
const defaults: Record<string, Vars> = {
  'kvm-module': { kvm_vendor: 'auto' },
  'vm-image': { image_name: 'win', image_url: '', image_sha256: '' },
  'samba-loopback': { printer: 'lp' },
  'gdm-session': {},
}
const catalog: RoleCatalog = {
  has: (name) => Object.hasOwn(defaults, name),
  names: () => Object.keys(defaults),
  defaults: (name) => defaults[name]!,
}

test('a playbook using every form loads into plays', async (t) => {
  const file = `${fixtures}/valid/site.yml`
  const [m5, all] = await loadPlaybook(file, catalog)
  t.like(m5, {
    name: 'Room M5 workstations run Windows in a VM',
    hosts: 'm5',
    become: true,
    becomeUser: 'root',
    gatherFacts: true,
    serial: [1, '30%', 5],
    tags: ['lab', 'windows'],
    place: { file, line: 2, col: 3 },
  })
  // vars_files win over the play's vars, as in Ansible.
  t.deepEqual(m5!.vars, { image_name: 'win11', printer: 'room-printer', udp_max_bitrate: '600m' })
  t.deepEqual(m5!.varsFiles, [resolve(fixtures, 'valid/vars/common.yml')])
  t.deepEqual(m5!.varPlaces.printer, { file: `${fixtures}/valid/vars/common.yml`, line: 2, col: 1 })
  t.deepEqual(m5!.varPlaces.image_name, { file, line: 12, col: 5 })
  t.deepEqual(
    m5!.roles.map((r) => [r.role, r.tags, r.place.line, r.place.col]),
    [
      ['kvm-module', ['kvm-module', 'lab', 'windows'], 15, 7],
      ['vm-image', ['vm-image', 'lab', 'windows', 'image'], 16, 7],
      ['samba-loopback', ['samba-loopback', 'lab', 'windows'], 22, 7],
    ],
  )
  const image = m5!.roles[1]!
  t.deepEqual(image.vars, { image_name: '{{ image_name }}', image_url: 'http://deploy/{{ image_name }}.qcow2' })
  t.deepEqual(image.varPlaces.image_url, { file, line: 19, col: 9 })
  t.deepEqual(image.when?.place, { file, line: 21, col: 13 })
  t.true(image.when!.test({ ansible_facts: { virt_flags: ['vmx', 'ept'] } }))
  t.false(image.when!.test({ ansible_facts: {} }))
  // The list form of `when`: every condition must hold.
  const samba = m5!.roles[2]!
  t.true(samba.when!.test({ os_version: '12' }))
  t.false(samba.when!.test({ os_version: '12', share_home: 'no' }))
  t.false(samba.when!.test({ os_version: '11' }))
  t.like(all, { name: 'all', hosts: 'all', gatherFacts: false, serial: [], tags: [], vars: {}, varsFiles: [] })
  t.is(all!.become, undefined)
  t.deepEqual(all!.roles.map((r) => r.role), ['gdm-session'])
})

test('a play needs only hosts', async (t) => {
  const [play] = await loadPlaybook(`${fixtures}/valid/minimal.yml`, catalog)
  t.like(play, { name: 'localhost', hosts: 'localhost', roles: [], serial: [], gatherFacts: true })
})

test('anchors, aliases and merge keys work; __proto__ and constructor are plain variables', async (t) => {
  const [m5, m6, m7, m8] = await loadPlaybook(`${fixtures}/valid/anchors.yml`, catalog)
  t.deepEqual(m5!.vars.kvm, { vendor: 'amd', persist: true })
  t.true(Object.hasOwn(m5!.vars, '__proto__'))
  t.is(m5!.vars['__proto__'], 'data')
  t.is(Object.getOwnPropertyDescriptor(m5!.vars, 'constructor')?.value, 'also data')
  t.is(Object.getPrototypeOf(m5!.vars), Object.prototype)
  t.deepEqual(m6!.roles.map((r) => [r.role, r.tags]), [['vm-image', ['vm-image', 'image']]])
  t.deepEqual(m6!.serial, ['10%'])
  // `<<: *room` merges a whole play; its own keys win.
  t.like(m7, { hosts: 'm7', become: true, tags: ['room'] })
  t.like(m8, { hosts: 'm8', become: true, tags: ['room'], place: { line: 25, col: 3 } })
})

// Malformed playbooks: [fixture, line, col, message]; the error must point at the offending node.
const bad: Array<[string, number | undefined, number | undefined, string]> = [
  ['not-a-list', 1, 1, "expected a list of plays (each '- hosts: …'), got a mapping"],
  ['empty', 1, 1, 'playbook is empty, expected a list of plays'],
  ['play-not-mapping', 1, 3, `expected a play (a mapping with 'hosts' and 'roles'), got the string "m5"`],
  ['unknown-play-key', 2, 3, "unknown play key 'rolez', expected one of: name, hosts, vars, vars_files, roles, serial, become, become_user, gather_facts, tags"],
  ['import-playbook', 1, 3, 'import_playbook is not supported: put the plays in this playbook, or run the playbooks one after another'],
  ['tasks', 2, 3, "'tasks' is not supported in a playbook, tasks live in roles (roles/<name>/index.ts): list the role under 'roles'"],
  ['missing-hosts', 1, 3, "play has no 'hosts', expected a host pattern such as 'all' or 'm5'"],
  ['hosts-not-string', 1, 10, "expected a host pattern such as 'all' or 'm5', got a list"],
  ['hosts-empty', 1, 10, "empty 'hosts', expected a host pattern such as 'all' or 'm5'"],
  ['roles-not-list', 2, 10, 'expected a list of roles, got the string "kvm-module"'],
  ['unknown-role', 4, 7, "unknown role 'kvm-modul', expected one of: kvm-module, vm-image, samba-loopback, gdm-session"],
  ['role-number', 3, 7, "expected a role: its name, or a mapping with 'role' and optionally 'vars', 'tags', 'when', got the number 42"],
  ['role-and-name', 4, 7, "role entry has both 'role' and 'name', expected only one of them"],
  ['role-entry-unknown-key', 4, 7, "unknown key 'printer' in a role entry, expected one of: role, vars, tags, when (role variables go under 'vars')"],
  ['role-unknown-var', 5, 9, "unknown variable 'printr' for role 'samba-loopback', expected one of: printer"],
  ['role-vars-list', 4, 13, "expected the variables of role 'vm-image' (a mapping), got a list"],
  ['serial-bad', 2, 15, `invalid serial "ten", expected a whole number ≥ 1, a percentage such as '30%', or a list of them`],
  ['serial-zero', 2, 11, "invalid serial 0, expected a whole number ≥ 1, a percentage such as '30%', or a list of them"],
  ['become-not-bool', 2, 11, 'expected true or false, got the string "sudo"'],
  ['gather-facts-string', 2, 17, 'expected true or false, got the string "false"'],
  ['tags-mapping', 2, 9, 'expected a tag name, or a list of tag names, got a mapping'],
  ['empty-tag', 4, 19, 'empty tag name in "", expected names separated by commas'],
  ['bad-var-name', 3, 5, "invalid variable name 'image-name', expected letters, digits and _ (not starting with a digit)"],
  ['when-syntax', 4, 24, `invalid when "kvm_vendor = 'intel'": unexpected '=', use '==' to compare`],
  ['when-quoted', 4, 22, `invalid when "enabled &&  ready": unexpected '&&', use 'and'`],
  ['when-list', 6, 30, `invalid when "os.version | int >== 12": unexpected '=', use '==' to compare`],
  ['when-call', 4, 36, 'invalid when "ansible_facts.cpu.flags()": calling functions or methods is not supported'],
  ['when-mapping', 4, 13, 'expected a condition such as "kvm_enabled | bool", got a mapping'],
  ['when-braces', 4, 14, `invalid when "{{ kvm_enabled }}": a condition is already an expression, write it without '{{ }}'`],
  ['role-var-template', 5, 9, `invalid template "{{ image_name | shell }}": unknown filter 'shell', expected one of: default, d, bool, int, float, string, lower, upper, trim, length, count`],
  ['vars-files-missing', 4, 7, `vars file ${fixtures}/bad/vars/missing.yml does not exist`],
  ['vars-files-template', 2, 16, 'vars_files paths cannot use templates, expected a plain path: vars/{{ os }}.yml'],
  ['yaml-syntax', 2, 11, 'invalid YAML: Implicit keys of flow sequence pairs need to be on a single line'],
  ['duplicate-key', 3, 3, 'invalid YAML: Map keys must be unique'],
  ['vault-tag', 3, 13, 'invalid YAML: !vault value: the vault data does not hold a salt, an HMAC and a ciphertext'],
  ['alias-bomb', 4, 12, 'too many YAML aliases (more than 100 expansions), refusing to expand them'],
  ['alias-loop', 4, 14, 'alias *loop refers to a value that contains it, expected data without cycles'],
  ['not-utf8', 1, 6, 'invalid text: not UTF-8 (save the file as UTF-8)'],
]
for (const [name, line, col, message] of bad) {
  test(`bad playbook ${name}.yml → ${line}:${col}`, async (t) => {
    const file = `${fixtures}/bad/${name}.yml`
    const error = await t.throwsAsync(loadPlaybook(file, catalog), { instanceOf: InputError })
    t.deepEqual(error?.place, { file, line, col })
    t.is(error?.format(), `${file}:${line}:${col}: ${message}`)
  })
}

test('an error inside a vars file points into that file', async (t) => {
  const notMapping = await t.throwsAsync(loadPlaybook(`${fixtures}/bad/vars-file-not-mapping.yml`, catalog), { instanceOf: InputError })
  t.is(notMapping?.format(), `${fixtures}/bad/vars/list.yml:2:1: expected variables (a mapping), got a list`)
  const template = await t.throwsAsync(loadPlaybook(`${fixtures}/bad/vars-file-template.yml`, catalog), { instanceOf: InputError })
  t.is(template?.format(), `${fixtures}/bad/vars/template.yml:2:1: unclosed '{{' in "/srv/{{ image_name }", expected '}}'`)
})

test('a missing playbook is an InputError naming it', async (t) => {
  const error = await t.throwsAsync(loadPlaybook(`${fixtures}/nope.yml`, catalog), { instanceOf: InputError })
  t.is(error?.format(), `${fixtures}/nope.yml: playbook does not exist`)
})

test('a folder is not a playbook', async (t) => {
  const error = await t.throwsAsync(loadPlaybook(fixtures, catalog), { instanceOf: InputError })
  t.is(error?.format(), `${fixtures}: playbook is not a file`)
})

test('a huge file is refused before it is read', async (t) => {
  const file = join(mkdtempSync(join(tmpdir(), 'labplay-')), 'huge.yml')
  writeFileSync(file, `- hosts: m5\n  vars:\n    x: "${'a'.repeat(4 * 1024 * 1024)}"\n`)
  const error = await t.throwsAsync(loadPlaybook(file, catalog), { instanceOf: InputError })
  t.regex(error!.message, /more than the 4194304 bytes allowed$/)
})

test('unknown roles say so when no role is installed', async (t) => {
  const none: RoleCatalog = { has: () => false, names: () => [], defaults: () => ({}) }
  const error = await t.throwsAsync(loadPlaybook(`${fixtures}/valid/site.yml`, none), { instanceOf: InputError })
  t.is(error?.message, "unknown role 'kvm-module', no roles are installed")
})

test('setting a variable of a role that declares none says so', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'labplay-'))
  const file = join(dir, 'p.yml')
  writeFileSync(file, '- hosts: m5\n  roles:\n    - role: gdm-session\n      vars: {x: 1}\n')
  const error = await t.throwsAsync(loadPlaybook(file, catalog), { instanceOf: InputError })
  t.is(error?.format(), `${file}:4:14: unknown variable 'x' for role 'gdm-session', it declares no variables`)
})
