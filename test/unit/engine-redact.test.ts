import test from 'ava'
import { Redactor } from '../../src/engine/redact.ts'
import { SECRET_NAME } from '../../src/vars.ts'

test('secret variable names', (t) => {
  for (const name of ['password', 'db_password', 'ansible_become_pass', 'api_token', 'smb_secret', 'wifi_passphrase']) t.regex(name, SECRET_NAME, name)
  for (const name of ['passwords_dir', 'bypass', 'image', 'token_count', 'secretary']) t.notRegex(name, SECRET_NAME, name)
})

test('masks every secret value in nested events, longest first', (t) => {
  const r = new Redactor()
  r.addVars({ db_password: 'hunter2', room: 'm5', api_token: 'hunter2-long' })
  r.add('sudo-pw')
  const masked = r.value({ type: 'task-end', result: { message: 'login hunter2-long then hunter2 with sudo-pw', diff: ['+pw=hunter2'] }, room: 'm5' })
  t.deepEqual(masked, { type: 'task-end', result: { message: 'login ******** then ******** with ********', diff: ['+pw=********'] }, room: 'm5' })
})

test('nothing secret: data passes unchanged', (t) => {
  const r = new Redactor()
  r.addVars({ room: 'm5' })
  const event = { message: 'm5 ok' }
  t.is(r.value(event), event)
})

// A secret with every character that gets escaped somewhere: quotes, a backslash, a newline, non-ASCII, '&'.
const AWKWARD = 'pa"s\'s\\wörd\n&1'

test('every written form of a secret is masked: JSON (also ASCII-escaped), YAML, shell, URL', (t) => {
  const r = new Redactor()
  r.addVars({ db_password: AWKWARD })
  const pythonJson = JSON.stringify(AWKWARD).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
  const forms: Array<[string, string]> = [
    ['as is', AWKWARD],
    ['JSON', JSON.stringify({ password: AWKWARD })],
    ['JSON, ASCII only (Python)', `{"password": ${pythonJson}}`],
    ['JSON, upper-case \\u', pythonJson.replace(/\\u00f6/, '\\u00F6')],
    ['YAML double-quoted', '"pa\\"s\'s\\\\wörd\\n&1"'],
    ['YAML single-quoted', "'pa\"s''s\\wörd\n&1'"],
    ['a command', `printf %s $'pa"s\\'s\\\\wörd\\n&1'`],
    ['a URL', `mysql://u:${encodeURIComponent(AWKWARD)}@db/x`],
  ]
  for (const [what, text] of forms) {
    const masked = r.text(text)
    t.true(masked.includes('********'), `${what}: ${masked}`)
    for (const piece of ['wörd', 'w\\u00f6rd', 'w\\u00F6rd', 'w%C3%B6rd']) t.false(masked.includes(piece), `${what}: ${masked}`)
  }
})

test('secret-named values of any length are masked by name where text says name=value', (t) => {
  const r = new Redactor()
  r.addVars({ db_password: 'ab', wifi: { passphrase: 'x' }, users: [{ name: 'ann', token: '7' }], room: 'm5' })
  const cases: Array<[string, string]> = [
    ['-e db_password=ab room=m5', '-e db_password=******** room=m5'],
    ['{"db_password": "ab", "room": "m5"}', '{"db_password": "********", "room": "m5"}'],
    ["{'db_password': 'ab'}", "{'db_password': '********'}"],
    ['db_password: ab\nroom: m5', 'db_password: ********\nroom: m5'],
    ['{passphrase: x}', '{passphrase: ********}'],
    ['token=7;next', 'token=********;next'],
    ['export db_password="a b"', 'export db_password="********"'],
    ['the tab key, a b c, 7 tokens', 'the tab key, a b c, 7 tokens'],
    ['my_db_password=ab stays: another name', 'my_db_password=ab stays: another name'],
    ["{'token': 7, 'db_password': null}", "{'token': ********, 'db_password': ********}"],
    ["variable 'db_password': no vault password given decrypts it", "variable 'db_password': no vault password given decrypts it"],
    ['db_password: expected one line, got a line break', 'db_password: expected one line, got a line break'],
    ['db_password=expected', 'db_password=********'],
  ]
  for (const [text, masked] of cases) t.is(r.text(text), masked, text)
})

test('values under secret-named keys are collected at any depth; numbers count as their text', (t) => {
  const r = new Redactor()
  r.addVars({ db: { password: 'hunter22' }, api_token: ['tok-one', { deep: 'tok-two' }], pin_secret: 12345 })
  t.is(r.text('hunter22 tok-one tok-two 12345'), '******** ******** ******** ********')
})

test('a diff is hidden when either side holds a secret or the task read a secret-named variable', (t) => {
  const r = new Redactor()
  r.addVars({ db_password: 'new-Pw-123' })
  const change = (before: string, after: string) => ({ path: '/etc/db.conf', text: `--- before/etc/db.conf\n+++ after/etc/db.conf\n-${before}+${after}`, sides: [before, after] })
  const hidden = '--- before/etc/db.conf\n+++ after/etc/db.conf\ndiff hidden: contains a secret\n'
  t.is(r.diff(change('pw=old\n', 'pw=new-Pw-123\n'), false), hidden, 'the new side holds the secret')
  t.is(r.diff(change('{"pw": "new-Pw-123"}\n', 'x\n'), false), hidden, 'the old side')
  t.is(r.diff(change('pw=old-Pw-0\n', 'pw=other\n'), true), hidden, 'a rotation: the task read the secret, the old value is unknown')
  t.is(r.diff(change('line\n', 'multi\nnew-Pw-123\nline\n'), false), hidden, 'a secret on a line of its own is found in the side, whatever the hunks')
  const clean = change('a=1\n', 'a=2\n')
  t.is(r.diff(clean, false), clean.text)
})
