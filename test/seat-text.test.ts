import test, { type ExecutionContext } from 'ava'
import Database from 'better-sqlite3'
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { once } from 'node:events'
import { createLab, type Lab } from './lab/lab.ts'
import { BIN, cleanUp, ROOT } from './helpers/labplay.ts'
import { inTmux, type PaneResult } from './helpers/tmux.ts'
import { faultProject, labplayRun, shown, waitFor } from './fixtures/faults/run.ts'

// A seat someone took over answers with terminal escapes everywhere it can (a file a command prints, its facts,
// a file's old content, a failing command's stderr), and a fake SSH server on another seat's address disconnects
// with them before any key exchange. labplay runs in a real terminal (tmux): nothing may be obeyed, the real recap
// must be there, and the record and --json keep the exact bytes.
const TITLE = 'PWNED-TITLE'
const CLIP = 'PWNED-CLIP'
let lab: Lab
let fake: ChildProcess | undefined
let dir = ''
let hostile = ''
let clean = ''
let impostor = ''
let records = ''
let payload = ''
const PLAYBOOK = `site-\x1b]0;${TITLE}\x07.yml`

// Everything a hostile seat would try on the admin's terminal, ending in a fake all-green recap for itself.
function hostilePayload(host: string): string {
  return [
    `\x1b]0;${TITLE}\x07`,
    `\x1b]52;c;${Buffer.from(CLIP).toString('base64')}\x07`,
    '\x1b[2J\x1b[H',
    '\x1b[1A\x1b[2K'.repeat(4),
    '\u009b2J',
    `\rPLAY RECAP ${'*'.repeat(69)}\n`,
    `${host.padEnd(26)} : ok=9    changed=0    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0\n`,
    '\u202eevil',
  ].join('')
}

test.before(async () => {
  lab = await createLab({ hosts: 3 })
  ;[hostile, clean, impostor] = lab.hosts.map((h) => h.name) as [string, string, string]
  payload = hostilePayload(hostile)
  await lab.must(hostile, 'cat > /etc/labplay-motd', { input: payload })
  await lab.must(hostile, `rm -f /etc/os-release && printf 'ID=debian\\nPRETTY_NAME="Debian \\033]0;${TITLE}\\007\\033[2J"\\n' > /etc/os-release`)
  await lab.must(hostile, `printf 'seat\\033]0;${TITLE}\\007' > /proc/sys/kernel/hostname`)
  await lab.must(clean, 'echo welcome > /etc/labplay-motd')
  const h3 = lab.hosts[2]!
  await lab.stopSsh(impostor)
  fake = spawn('ip', ['netns', 'exec', h3.ns, 'node', join(ROOT, 'test/fixtures/hostile/fake-sshd.mjs'), h3.address, '22', JSON.stringify(payload)], { stdio: ['ignore', 'pipe', 'inherit'] })
  let said = ''
  fake.stdout!.on('data', (d: Buffer) => (said += d))
  await waitFor('the fake SSH server listens', () => said.includes('listening'))
  dir = faultProject({ [PLAYBOOK]: `- name: ${JSON.stringify(`faults \x1b]0;${TITLE}\x07`)}\n  hosts: lab\n  roles:\n    - hostile\n` })
  records = join(dir, 'runs.db')
})

test.after.always(async () => {
  if (fake && fake.exitCode === null) {
    fake.kill('SIGTERM')
    await Promise.race([once(fake, 'exit'), new Promise((r) => setTimeout(r, 3000))])
  }
  await cleanUp(lab, dir)
})

// Every run finds the seats' config as the seats left it: the hostile one's is the payload, so a diff shows it.
async function resetConf(): Promise<void> {
  for (const [host, command] of [[hostile, 'cp /etc/labplay-motd /etc/labplay-hostile.conf'], [clean, 'echo old > /etc/labplay-hostile.conf']] as const) {
    await lab.must(host, command)
  }
}

const labplayArgv = (...args: string[]) => ['env', '-u', 'NO_COLOR', 'ip', 'netns', 'exec', lab.controllerNs, 'node', BIN, join(dir, PLAYBOOK),
  '-i', lab.inventory, '--known-hosts', lab.knownHosts, '--records', records, '-T', '5', ...args]

// labplay's own sequences: colours (SGR), and the live view's redraw (cursor up, erase line, column 1, cursor shown/hidden).
const OWN_SEQUENCE = /^\x1b\[(?:[0-9;]*m|\d*A|2K|G|\?25[lh])$/
// Anything that can drive a terminal, once labplay's own sequences are taken out.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/

function sequences(text: string): string[] {
  return text.match(/\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|.)/g) ?? []
}

// Nothing the seats sent was obeyed: the title, the clipboard and every byte the terminal got say so.
function assertObeyedNothing(t: ExecutionContext, pane: PaneResult): void {
  t.not(pane.title, TITLE, 'the pane title was not changed')
  t.is(pane.buffers, '', 'no clipboard write (OSC 52) reached the terminal')
  const bytes = pane.bytes.toString('utf8')
  const foreign = sequences(bytes).filter((s) => !OWN_SEQUENCE.test(s))
  t.deepEqual(foreign, [], 'the terminal got no escape sequence but labplay\'s own')
  const rest = bytes.replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, '').replace(/\r\n/g, '\n')
  t.false(CONTROL.test(rest.replace(/\r/g, '')), `no other control character: ${JSON.stringify(rest.match(CONTROL)?.[0])}`)
  t.regex(pane.text, /\\x1b\]0;PWNED-TITLE\\x07\\x1b\]52;c;UFdORUQtQ0xJUA==\\x07\\x1b\[2J\\x1b\[H\\x1b\[1A\\x1b\[2K/, 'the seat\'s bytes are shown, escaped')
}

// The real recap is on screen, at the start of its lines; the seat's fake one is not.
function assertRealRecap(t: ExecutionContext, text: string): void {
  t.regex(text, new RegExp(`^${hostile} +: ok=\\d+ +changed=\\d+ +unreachable=0 +failed=1 `, 'm'), 'the hostile seat failed in the recap')
  t.regex(text, new RegExp(`^${clean} +: ok=\\d+ +changed=2 +unreachable=0 +failed=0 `, 'm'))
  t.regex(text, new RegExp(`^${impostor} +: ok=0 +changed=0 +unreachable=1 +failed=0 `, 'm'), 'the fake server\'s address is unreachable')
  t.notRegex(text, new RegExp(`^${hostile} +: ok=9 `, 'm'), 'the fake recap line never starts a line')
}

test.serial('control: tmux obeys the payload when it is printed as is (the checks can fail)', async (t) => {
  const raw = join(dir, 'payload.raw')
  writeFileSync(raw, payload)
  const pane = await inTmux(['cat', raw], { cwd: dir })
  t.is(pane.title, TITLE)
  t.regex(pane.buffers, new RegExp(CLIP))
  t.notRegex(pane.text, /\\x1b/)
})

test.serial('live view in a terminal: titles, clipboard, clears and cursor moves are shown, never obeyed; the real recap stands', async (t) => {
  await resetConf()
  const pane = await inTmux(labplayArgv(), { cwd: dir })
  t.is(pane.code, 2, pane.text)
  assertObeyedNothing(t, pane)
  assertRealRecap(t, pane.text)
  t.regex(pane.text, new RegExp(`cannot connect to ${lab.hosts[2]!.address.replace(/\./g, '\\.')}:22: \\\\x1b\\]0;PWNED-TITLE`), 'the disconnect message is shown escaped')
  t.regex(pane.text, /^\[WARNING\]: os: Debian \\x1b\]0;PWNED-TITLE\\x07\\x1b\[2J on seat\\x1b\]0;PWNED-TITLE\\x07: /m, 'facts are shown escaped in the recap\'s warnings')
  t.regex(pane.attributed, /\x1b\[(?:\d+;)*3[13]m/, 'labplay\'s own colours are still there')
})

test.serial('plain lines with --diff in a terminal: the diff of a hostile file and the warning block are escaped', async (t) => {
  await resetConf()
  const pane = await inTmux(labplayArgv('-D'), { cwd: dir })
  t.is(pane.code, 2, pane.text)
  assertObeyedNothing(t, pane)
  assertRealRecap(t, pane.text)
  t.regex(pane.text, /^-\\x1b\]0;PWNED-TITLE\\x07/m, 'the old content is a diff line of its own, escaped')
  t.regex(pane.text, new RegExp(`^\\[WARNING\\]: motd: \\\\x1b\\]0;PWNED-TITLE.*PLAY RECAP.*: ${hostile}$`, 'm'), 'the recap\'s warning block')
  t.regex(pane.text, new RegExp(`^failed: \\[${hostile}\\] hostile : the seat check passes => .*exit 3: \\\\x1b\\]0;PWNED-TITLE`, 'm'))
  t.regex(pane.text, /to retry, use: -l @.*site-\\x1b\]0;PWNED-TITLE\\x07\.retry/, 'the CLI\'s own lines quote a hostile file name escaped')
})

// Piped output has no colour: not a single control byte may be in it.
function assertNoControl(t: ExecutionContext, what: string, text: string): void {
  const found = text.match(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/)
  t.is(found, null, `${what} holds ${JSON.stringify(found?.[0])} at ${found?.index}: ${JSON.stringify(text.slice(Math.max(0, (found?.index ?? 0) - 60), (found?.index ?? 0) + 20))}`)
}

test.serial('piped output, --json, the record, show and history: text escaped, data exact', async (t) => {
  await resetConf()
  const json = join(dir, 'run.json')
  const ran = await labplayRun(lab, [join(dir, PLAYBOOK), '-D', '-T', '5', '--records', records, '--json', json], { cwd: dir })
  t.is(ran.code, 2, shown(ran))
  assertNoControl(t, 'stdout', ran.stdout)
  assertNoControl(t, 'stderr', ran.stderr)
  assertRealRecap(t, ran.stdout)
  t.regex(ran.stdout, /^\[WARNING\]: motd: \\x1b\]0;PWNED-TITLE/m)

  const jsonText = readFileSync(json, 'utf8')
  assertNoControl(t, '--json', jsonText.replace(/\n/g, ''))
  const summary = JSON.parse(jsonText) as { hosts: Array<{ host: string; warnings: string[]; tasks: Array<{ task: string; message?: string }> }> }
  const seat = summary.hosts.find((h) => h.host === hostile)!
  t.true(seat.warnings.includes(`motd: ${payload}`), '--json keeps the exact bytes')
  t.true(seat.tasks.find((x) => x.task === 'the seat check passes')!.message!.endsWith(payload))

  const db = new Database(records, { readonly: true })
  try {
    const message = db.prepare("SELECT message FROM task_results WHERE host = ? AND task = 'the seat check passes' ORDER BY run_id DESC").pluck().get(hostile) as string
    t.true(message.endsWith(payload), 'the record keeps the exact bytes')
    const unreachable = db.prepare('SELECT message FROM run_hosts WHERE host = ? ORDER BY run_id DESC').pluck().get(impostor) as string
    t.true(unreachable.endsWith(payload), 'the disconnect message is recorded as sent')
  } finally {
    db.close()
  }

  const reader = (...args: string[]) => lab.controller(['node', BIN, ...args, '--records', records], { cwd: dir, env: { ...process.env, NO_COLOR: '1' } })
  const show = await reader('show', 'last', '-D')
  t.is(show.code, 0, show.stderr)
  assertNoControl(t, 'show', show.stdout)
  t.regex(show.stdout, new RegExp(`^${impostor} +unreachable .*\\n +=> .*cannot connect to .*\\\\x1b\\]0;PWNED-TITLE`, 'm'))
  t.regex(show.stdout, /^ +-\\x1b\]0;PWNED-TITLE\\x07/m, 'the recorded diff, escaped')
  t.regex(show.stdout, /command +labplay .*site-\\x1b\]0;PWNED-TITLE\\x07\.yml/)
  const showJson = await reader('show', 'last', '--json')
  assertNoControl(t, 'show --json', showJson.stdout.replace(/\n/g, ''))
  const detail = JSON.parse(showJson.stdout) as { hosts: Array<{ host: string; message: string }> }
  t.true(detail.hosts.find((h) => h.host === impostor)!.message.endsWith(payload), 'show --json gives the exact bytes')
  const history = await reader('history')
  t.is(history.code, 0, history.stderr)
  assertNoControl(t, 'history', history.stdout)
  t.regex(history.stdout, /site-\\x1b\]0;PWNED-TITLE\\x07\.yml/)
  const historyJson = await reader('history', '--json')
  t.is((JSON.parse(historyJson.stdout) as Array<{ playbook: string }>)[0]!.playbook, join(dir, PLAYBOOK))
  const none = await lab.controller(['node', BIN, 'history', '--records', join(dir, `none-\x1b]0;${TITLE}\x07.db`)], { cwd: dir })
  t.is(none.code, 0, none.stderr)
  assertNoControl(t, 'history without a record', none.stdout)
  t.regex(none.stdout, /none-\\x1b\]0;PWNED-TITLE\\x07\.db/, 'the path it names, escaped')
})

test.serial('show and history in a terminal obey nothing either', async (t) => {
  const reader = (...args: string[]) => ['node', BIN, ...args, '--records', records]
  for (const argv of [reader('show', 'last', '-D'), reader('history')]) {
    const pane = await inTmux(argv, { cwd: dir })
    t.is(pane.code, 0, pane.text)
    t.not(pane.title, TITLE)
    t.is(pane.buffers, '')
    t.deepEqual(sequences(pane.bytes.toString('utf8')), [], `${argv[2]} sends no escape sequence at all`)
  }
})

test.serial('input files: an error or a listing quotes a hostile name escaped, before any host is contacted', async (t) => {
  writeFileSync(join(dir, 'bad.yml'), `- name: bad\n  hosts: lab\n  roles:\n    - ${JSON.stringify(`r\x1b]0;${TITLE}\x07`)}\n`)
  const bad = await labplayRun(lab, [join(dir, 'bad.yml')], { cwd: dir })
  t.is(bad.code, 5, shown(bad))
  assertNoControl(t, 'the error', bad.stderr)
  t.regex(bad.stderr, /^ERROR: .*r\\x1b\]0;PWNED-TITLE\\x07/m)
  const listed = await labplayRun(lab, [join(dir, PLAYBOOK), '--list-hosts', '--list-tasks'], { cwd: dir })
  t.is(listed.code, 0, shown(listed))
  assertNoControl(t, 'the listing', listed.stdout.replace(/\t/g, ''))
  t.regex(listed.stdout, /play #1 \(lab\): faults \\x1b\]0;PWNED-TITLE\\x07/)
})
