import test from 'ava'
import vmImage from '../../roles/vm-image/index.ts'
import { runTask, type RoleCase } from './role-harness.ts'

// The base image made read-only, as data (role-harness.ts): what stat says of the image in, one probe and the
// change (or the skip) out.

const TASK = 'the image is read-only'
const FILE = '/srv/labplay/images/win11-lab-2026.11.qcow2'
const IMAGE = { name: 'win11-lab', version: '2026.11', size: 1, sha256: 'ab'.repeat(32), source: '' }
const STAT = `stat -c '%a %U %G' -- ${FILE}`
const MISSING = { code: 1, stderr: `stat: cannot statx '${FILE}': No such file or directory` }

const at = (stat: string | { code: number; stderr: string }, check = false): RoleCase => ({ vars: { image: IMAGE }, check, probes: [[STAT, stat]] })

test('already 0444 root:root: one stat, nothing to do', async (t) => {
  const r = await runTask(vmImage, TASK, at('444 root root\n'))
  t.is(r.status, 'ok')
  t.deepEqual(r.commands, [STAT])
})

test('writable: chown and chmod in one command after the one stat', async (t) => {
  const r = await runTask(vmImage, TASK, at('644 root root\n'))
  t.is(r.status, 'changed')
  t.deepEqual(r.commands, [STAT, `chown root:root -- ${FILE} && chmod 0444 -- ${FILE}`])
  t.deepEqual(r.changes, [`made ${FILE} read-only (0444 root:root)`])
})

test('writable, check mode: the change reported, not run', async (t) => {
  const r = await runTask(vmImage, TASK, at('644 root root\n', true))
  t.is(r.status, 'changed')
  t.deepEqual(r.runs, [])
  // The report shows a command's first 117 characters.
  t.deepEqual(r.changes, [`would run: chown root:root -- ${FILE} && chmod 0444 -- ${FILE}`.slice(0, 128) + '...'])
})

test('check mode, the image still to come: skipped after the one stat, nothing run', async (t) => {
  const r = await runTask(vmImage, TASK, at(MISSING, true))
  t.is(r.status, 'skipped')
  t.is(r.message, `${FILE} is not there yet`)
  t.deepEqual(r.commands, [STAT])
})

test('the image missing outside check mode: the task fails with what stat said', async (t) => {
  const r = await runTask(vmImage, TASK, at(MISSING))
  t.is(r.status, 'failed')
  t.is(r.message, `cannot inspect ${FILE}: ${MISSING.stderr}`)
  t.deepEqual(r.runs, [])
})
