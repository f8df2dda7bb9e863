import test from 'ava'
import { InputError } from '../../src/errors.ts'
import { LazyRecord, LazyVars, Later } from '../../src/playbook/index.ts'
import { Keyring } from '../../src/vault/keyring.ts'
import { Vaulted } from '../../src/vault/value.ts'
import type { Vars } from '../../src/vars.ts'

const place = { file: 'site.yml', line: 12, col: 9 }
const lazy = (vars: Vars, at?: (name: string) => typeof place | undefined) => new LazyVars([{ vars, place: at ?? place }])

test('renders variables that refer to each other, in any order, each when used', (t) => {
  const vars = lazy({
    image_path: '/srv/{{ image_name }}.qcow2',
    urls: ['http://deploy/{{ image_file }}'],
    image_file: '{{ image_path | lower }}',
    image_name: 'Win11',
    port: '{{ base_port }}',
    base_port: 445,
  })
  t.is(vars.get('image_path'), '/srv/Win11.qcow2')
  t.deepEqual(vars.get('urls'), ['http://deploy//srv/win11.qcow2'])
  t.is(vars.get('port'), 445)
  t.is(vars.get('nosuch'), undefined)
})

test('an undefined name is an error only when the variable holding it is used', (t) => {
  const vars = lazy({ iface: '{{ nic }}', winrm: '{{ ansible_winrm_password }}', room: 'm5' })
  t.is(vars.get('room'), 'm5')
  const error = t.throws(() => vars.get('iface'), { instanceOf: InputError })
  t.is(error?.format(), `site.yml:12:9: variable 'iface': undefined variable 'nic' in "{{ nic }}"`)
})

test('reports a cycle with its chain, and a variable that refers to itself', (t) => {
  t.is(t.throws(() => lazy({ a: '{{ b }}', b: 'x{{ c }}', c: ['{{ a }}'] }).get('a'), { instanceOf: InputError })?.format(), 'site.yml:12:9: variables refer to each other in a cycle: a → b → c → a')
  t.is(t.throws(() => new LazyVars([{ vars: { path: '{{ path }}/bin' } }]).get('path'), { instanceOf: InputError })?.message, 'variables refer to each other in a cycle: path → path')
})

test('names the subject, the variable and where it was written', (t) => {
  const places: Record<string, typeof place> = { image_path: { file: 'group_vars/m5.yml', line: 3, col: 1 } }
  const vars = new LazyVars([{ vars: { image_path: '/srv/{{ image_name }}' }, place: (n) => places[n] }], { subject: 'host m5-01: ', hint: (n) => `no ${n} here` })
  t.is(t.throws(() => vars.get('image_path'), { instanceOf: InputError })?.format(),
    `group_vars/m5.yml:3:1: host m5-01: variable 'image_path': undefined variable 'image_name' in "/srv/{{ image_name }}" (no image_name here)`)
})

test('later layers win; literal layers are data, never templates; `later` names defer the value', (t) => {
  const vars = new LazyVars([
    { vars: { room: 'low', name: '{{ room }}-{{ ansible_hostname }}', both: '{{ room }}' } },
    { later: (n) => n.startsWith('ansible_') },
    { vars: { room: 'high', seat: '{{ hostile }}' }, place },
    { vars: { hostile: '{{ room }}' }, literal: true },
  ])
  t.is(vars.get('both'), 'high')
  t.is(vars.get('hostile'), '{{ room }}')
  t.is(vars.get('seat'), '{{ room }}')
  t.is(t.throws(() => vars.get('name'), { instanceOf: Later })?.variable, 'ansible_hostname')
  t.is(t.throws(() => vars.get('ansible_kernel'), { instanceOf: Later })?.variable, 'ansible_kernel')
  const withDefault = new LazyVars([{ vars: { nic: "{{ ansible_default_ipv4.interface | default('eth0') }}" } }, { later: () => false }])
  t.is(withDefault.get('nic'), 'eth0')
})

test('a mapping computed on use (hostvars) reads like any mapping', (t) => {
  const computed: string[] = []
  const hostvars = new LazyRecord(() => ['m5-01', 'm5-02'], (host) => (computed.push(host), { room: host.slice(0, 2) }))
  const vars = new LazyVars([{ vars: { other: "{{ hostvars['m5-02'].room }}", known: "{{ 'm5-01' in hostvars }}", count: '{{ hostvars | length }}' } }, { vars: { hostvars }, literal: true }])
  t.is(vars.get('other'), 'm5')
  t.true(vars.get('known'))
  t.is(vars.get('count'), 2)
  t.deepEqual(computed, ['m5-02'])
})

test('a !vault value is decrypted where it is used; without a password it is an error there, never the ciphertext', (t) => {
  const vaulted = new Vaulted('$ANSIBLE_VAULT;1.1;AES256\n00', new Keyring())
  const vars = lazy({ smb_password: vaulted, url: 'smb://u:{{ smb_password }}@host', other: 'fine' })
  t.is(vars.get('other'), 'fine')
  const error = t.throws(() => vars.get('url'), { instanceOf: InputError })
  t.regex(error!.format(), /^site\.yml:12:9: variable 'smb_password': it is encrypted with ansible-vault and no vault password was given/)
  t.notRegex(error!.message, /ANSIBLE_VAULT/)
})

test('every rendered variable reaches onValue once', (t) => {
  const seen: string[] = []
  const vars = new LazyVars([{ vars: { a: '{{ b }}', b: 'x' } }], { onValue: (name) => seen.push(name) })
  vars.get('a')
  vars.get('a')
  t.deepEqual(seen, ['b', 'a'])
})
