import test from 'ava'
import { InputError } from '../../src/errors.ts'
import { DEFAULT_FORKS, parseOptions, usage } from '../../src/options.ts'

test('ansible-playbook spellings parse to the same options', (t) => {
  const o = parseOptions(['site.yml', '-i', 'a.ini', '-i', 'h1,h2,', '-l', 'm5:!m5-03', '-t', 'kvm-module,udpcast', '--skip-tags', 'x', '-CD', '-f', '7', '-e', 'a=1', '-e', '@v.yml', '-u', 'admin', '--private-key', 'k', '-b', '-vvv'])
  t.is(o.playbook, 'site.yml')
  t.deepEqual(o.inventories, ['a.ini', 'h1,h2,'])
  t.is(o.limit, 'm5:!m5-03')
  t.deepEqual(o.tags, ['kvm-module', 'udpcast'])
  t.deepEqual(o.skipTags, ['x'])
  t.true(o.check && o.diff && o.become)
  t.is(o.forks, 7)
  t.deepEqual(o.extraVars, ['a=1', '@v.yml'])
  t.is(o.user, 'admin')
  t.is(o.privateKey, 'k')
  t.is(o.verbosity, 3)
})

test('defaults: accept-new host keys, forks, no json', (t) => {
  const o = parseOptions(['site'])
  t.is(o.hostKeyChecking, 'accept-new')
  t.is(o.forks, DEFAULT_FORKS)
  t.is(o.json, undefined)
})

test('--json takes a .json file or - and otherwise means stdout', (t) => {
  t.is(parseOptions(['p', '--json']).json, '-')
  t.is(parseOptions(['p', '--json', 'out.json']).json, 'out.json')
  t.is(parseOptions(['--json', 'p.yml']).json, '-')
  t.is(parseOptions(['--json', 'p.yml']).playbook, 'p.yml')
  t.is(parseOptions(['p', '--json=r.json']).json, 'r.json')
})

test('--max-output: 16 MiB unless told, in whole MiB', (t) => {
  t.is(parseOptions(['p']).maxOutputMiB, 16)
  t.is(parseOptions(['p', '--max-output', '64']).maxOutputMiB, 64)
  t.is(parseOptions(['p', '--max-output=1']).maxOutputMiB, 1)
})

test('--limit=pattern and -lpattern forms', (t) => {
  t.is(parseOptions(['p', '--limit=m5']).limit, 'm5')
  t.is(parseOptions(['p', '-lm']).limit, 'm')
})

test('vault options as ansible-playbook spells them, repeatable', (t) => {
  const o = parseOptions(['p', '--vault-id', 'lab@pass', '--vault-id=prompt', '--vault-password-file', 'a', '--vault-pass-file', 'b'])
  t.deepEqual(o.vaultIds, ['lab@pass', 'prompt'])
  t.deepEqual(o.vaultPasswordFiles, ['a', 'b'])
  t.true(parseOptions(['p', '--ask-vault-password']).askVaultPass)
})

for (const [argv, message] of [
  [['p', '--ask-vault-pass', '--vault-password-file', 'f'], /give one or the other/],
  [['p', '--bogus'], /unknown option '--bogus'/],
  [['p', '-f', '0'], /--forks '0': expected a whole number/],
  [['p', '-f', 'many'], /--forks 'many'/],
  [['p', '-l'], /option -l needs a value/],
  [['p', '--host-key-checking', 'maybe'], /expected strict, accept-new or off/],
  [['p', '--max-output', '0.5'], /--max-output '0.5': expected a whole number of at least 1/],
  [['p', '--max-output', '257'], /--max-output '257': expected at most 256 \(MiB\)/],
  [[], /no playbook given/],
  [['a.yml', 'b.yml'], /one playbook at a time/],
] as Array<[string[], RegExp]>) {
  test(`bad options are an InputError: ${argv.join(' ') || '(none)'}`, (t) => {
    const err = t.throws(() => parseOptions(argv), { instanceOf: InputError })
    t.regex(err!.message, message)
  })
}

test('-v is counted in one place: -v, -vv, -Cvvv and --verbose add up', (t) => {
  t.is(parseOptions(['p', '-v']).verbosity, 1)
  t.is(parseOptions(['p', '-vv', '--verbose']).verbosity, 3)
  t.is(parseOptions(['p', '-Cvvv']).verbosity, 3)
  t.true(parseOptions(['p', '-Cvvv']).check)
})

test('--help comes from the same table: every option, its default, and what -f limits', (t) => {
  const USAGE = usage(['history', 'show', 'report'])
  t.regex(USAGE, /^ {7}labplay history\|show\|report \[options\] {3}\(see labplay history --help\)$/m)
  for (const line of ['-i, --inventory SRC', '--skip-tags TAGS', '--host-key-checking strict|accept-new|off', '--list-hosts | --list-tasks', '-v, -vv, -vvv', '-h, --help | --version']) {
    t.true(USAGE.includes(line), line)
  }
  t.regex(USAGE, /^ {2}-f, --forks N {13}steps \(a task on a host\) running at once over all hosts \(default 50\)$/m)
  t.regex(USAGE, /^ {6}--task-timeout SECONDS {2}kill a command that runs longer \(default 600\)$/m)
  t.regex(USAGE, /^ {6}--wake {16}first send .*\(MACs\n {28}recorded by earlier runs/m)
})

test('options that cannot go together are refused once, by the table', (t) => {
  t.throws(() => parseOptions(['p', '--records', 'x.db', '--no-records']), { instanceOf: InputError, message: '--records and --no-records: give one or the other' })
  t.throws(() => parseOptions(['p', '--no-records', '--wake']), { instanceOf: InputError, message: /^--wake needs the run record/ })
})

test('Coming from Ansible: -k, -c, --become-method, --ssh-common-args, --ssh-extra-args, --start-at-task, --step', (t) => {
  const o = parseOptions(['site.yml', '-kb', '-c', 'local', '--become-method', 'su', '--ssh-common-args', '-J root@gw', '--ssh-extra-args=-o ServerAliveInterval=5', '--start-at-task', 'udpcast : *', '--step'])
  t.true(o.askPass && o.become && o.step)
  t.is(o.connection, 'local')
  t.is(o.becomeMethod, 'su')
  t.is(o.sshCommonArgs, '-J root@gw')
  t.is(o.sshExtraArgs, '-o ServerAliveInterval=5')
  t.is(o.startAtTask, 'udpcast : *')
  t.deepEqual([...o.given].sort(), ['askPass', 'become', 'becomeMethod', 'connection', 'sshCommonArgs', 'sshExtraArgs', 'startAtTask', 'step'])
  t.throws(() => parseOptions(['p', '--become-method', 'doas']), { instanceOf: InputError, message: "--become-method 'doas': expected sudo or su" })
  t.throws(() => parseOptions(['p', '-c', 'winrm']), { instanceOf: InputError, message: "--connection 'winrm': expected ssh or local (labplay drives no other connection)" })
})
