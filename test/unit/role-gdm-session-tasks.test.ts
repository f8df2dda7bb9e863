import test from 'ava'
import gdm from '../../roles/gdm-session/index.ts'
import { BEGIN, END } from '../../roles/gdm-session/hook.ts'
import { runTask, type RoleCase, type TaskRun } from './role-harness.ts'

// The role's tasks as data (role-harness.ts): what PostSession/Default holds on the seat in; the file written, out.

const HOOK_TASK = 'GDM cleans up after every session'
const HOOK = '/etc/gdm3/PostSession/Default'
const BLOCK = `${BEGIN}\nif [ -x /usr/local/sbin/labvm-session-cleanup ]; then /usr/local/sbin/labvm-session-cleanup "$USER"; fi\n${END}\n`
const DEBIAN = '#!/bin/sh\n\nexit 0\n'
const ADMIN = '#!/bin/sh\n# site hook\nlogger "session of $USER ended"\nexit 0\n# trailing comment\n'

// The seat holds `existing` (undefined: no file), read by the role's own probe, then by the file primitive.
function seat(existing: string | undefined, over: RoleCase = {}): RoleCase {
  return {
    ...over,
    seat: { dirs: ['/etc/gdm3/PostSession'], files: existing === undefined ? {} : { [HOOK]: { content: existing, mode: '755' } } },
    probes: [[`[ -e ${HOOK} ] || exit 3; cat -- ${HOOK}`, existing === undefined ? { code: 3 } : existing]],
  }
}

const hook = test.macro({
  async exec(t, existing: string | undefined, want: Partial<Pick<TaskRun, 'status' | 'changes'>> & { written?: string }) {
    const r = await runTask(gdm, HOOK_TASK, seat(existing))
    t.like(r, { status: want.status ?? 'changed', ...(want.changes && { changes: want.changes }) })
    t.is(r.written[HOOK] as string | undefined, want.written)
  },
  title: (title = '') => `PostSession/Default: ${title}`,
})

test('missing: a sh script with the block, ending with exit 0', hook, undefined, { written: `#!/bin/sh\n\n${BLOCK}\nexit 0\n`, changes: [`created ${HOOK}`] })
test("Debian's stock file: the block goes before its final exit 0", hook, DEBIAN, { written: `#!/bin/sh\n\n${BLOCK}exit 0\n` })
test("an admin's hook: their lines stay, the block before the final exit", hook, ADMIN,
  { written: `#!/bin/sh\n# site hook\nlogger "session of $USER ended"\n${BLOCK}exit 0\n# trailing comment\n` })
test('a file without a final exit: the block at its end', hook, '#!/bin/sh\nrm -f /tmp/x\n', { written: `#!/bin/sh\nrm -f /tmp/x\n${BLOCK}` })
test('an older block: replaced in place', hook, `#!/bin/sh\n${BEGIN}\nold-cleanup\n${END}\nexit 0\n`, { written: `#!/bin/sh\n${BLOCK}exit 0\n` })
test('the block already there: nothing written', hook, `#!/bin/sh\n\n${BLOCK}exit 0\n`, { status: 'ok', written: undefined })

test('PostSession/Default: unreadable is a failure saying why, and nothing is written', async (t) => {
  const c = seat(DEBIAN)
  c.probes = [[`[ -e ${HOOK} ]`, { code: 1, stderr: `cat: ${HOOK}: Permission denied\n` }]]
  const r = await runTask(gdm, HOOK_TASK, c)
  t.like(r, { status: 'failed', message: `cannot read ${HOOK}: cat: ${HOOK}: Permission denied`, written: {} })
})

test('PostSession/Default: check mode reads the file and writes nothing', async (t) => {
  const r = await runTask(gdm, HOOK_TASK, seat(DEBIAN, { check: true }))
  t.like(r, { status: 'changed', changes: [`would update ${HOOK}`], runs: [], written: {} })
})

// The session script: launcher_args read by the SDK's list(), the launcher an absolute path.
const SESSION = 'the session runs the Windows launcher in the foreground'
const session = test.macro({
  async exec(t, vars: Record<string, unknown>, want: RegExp) {
    const r = await runTask(gdm, SESSION, { vars })
    if (r.status === 'failed') t.regex(r.message ?? '', want)
    else t.regex(r.written['/usr/local/bin/labvm-session'] ?? '', want)
  },
  title: (title = '') => `session script: ${title}`,
})

test('the launcher alone', session, {}, /\nexec "\$launcher"\n$/)
test('launcher_args as a list, each one word', session, { launcher_args: ['-m', '4096', 'a b'] }, /\nexec "\$launcher" -m 4096 \$'a b'\n$/)
test('launcher_args from -e k=v, split at commas', session, { launcher_args: '-m,4096' }, /\nexec "\$launcher" -m 4096\n$/)
test('launcher_args as a mapping fails, naming it', session, { launcher_args: { m: 4096 } }, /^launcher_args: expected a list \(or a comma-separated string\), got a mapping$/)
test('a relative launcher fails, naming it', session, { launcher: 'labvm' }, /^launcher: expected an absolute path, got "labvm"$/)

// Both packages the role installs: one dpkg-query, and one apt-get for what is missing.
const PACKAGES_TASK = 'desktop-file-validate and a window manager that keeps the VM full screen are installed'
test('packages: both missing, one query and one apt-get for both', async (t) => {
  const r = await runTask(gdm, PACKAGES_TASK, { seat: { packages: [] } })
  t.is(r.status, 'changed')
  t.is(r.commands.length, 2)
  t.regex(r.commands[0]!, /^dpkg-query .* -- desktop-file-utils matchbox-window-manager$/)
  t.regex(r.runs[0]!, /install --no-install-recommends desktop-file-utils matchbox-window-manager /)
})
test('packages: both there, the one query only', async (t) => {
  const r = await runTask(gdm, PACKAGES_TASK, { seat: { packages: ['desktop-file-utils', 'matchbox-window-manager'] } })
  t.is(r.status, 'ok')
  t.is(r.commands.length, 1)
})
