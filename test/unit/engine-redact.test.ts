import test from 'ava'
import { Redactor, SECRET_NAME } from '../../src/engine/redact.ts'

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
