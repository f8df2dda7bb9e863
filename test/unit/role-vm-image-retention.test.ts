import test from 'ava'
import vmImage from '../../roles/vm-image/index.ts'
import { runTask, type RoleCase, type TaskRun } from './role-harness.ts'

// Which old versions go, as data (role-harness.ts): the registry, images_keep, which files are still there and
// which processes hold them, in; the removals, warnings and the registry written, out.

const TASK = 'old versions beyond images_keep are gone, unless a VM holds them'
const DIR = '/srv/labplay/images'
const REGISTRY = `${DIR}/.win11-lab.versions`
const IMAGE = { name: 'win11-lab', version: '2026.11', size: 1, sha256: 'ab'.repeat(32), source: '' }
const file = (version: string) => `${DIR}/win11-lab-${version}.qcow2`
const rm = (version: string) => `rm -f -- ${file(version)} ${DIR}/.win11-lab-${version}.qcow2.sha256 ${DIR}/.win11-lab-${version}.qcow2.checked`

interface Seat {
  // The registry's versions, oldest first.
  registry: string[]
  // Versions whose file is still on disk (readlink -e finds it).
  present: string[]
  // version → pids holding its file open.
  held?: Record<string, number[]>
  vars?: Record<string, unknown>
  check?: boolean
}

// The registry is a file the seat holds (read with cat); the role's one probe for the expired files prints
// readlink's answer for each, `--`, then /proc's fds; a holder is described by its comm.
function roleCase(s: Seat): RoleCase {
  const registry = s.registry.map((v) => `${v}\n`).join('')
  const resolved = s.registry.map((v) => `${file(v)}\t${s.present.includes(v) ? file(v) : ''}\n`).join('')
  const fds = Object.entries(s.held ?? {}).flatMap(([v, pids]) => pids.map((pid) => `/proc/${pid}/fd\t${file(v)}\n`)).join('')
  return {
    vars: { image: IMAGE, ...s.vars },
    check: s.check,
    seat: { files: { [REGISTRY]: registry } },
    probes: [
      [`cat -- ${REGISTRY}`, registry],
      [/^for p in /, `${resolved}--\n${fds}`],
      ['for pid in ', 'pid 812 (qemu-system-x86)\n'],
    ],
  }
}

interface Effect {
  status: TaskRun['status']
  removed: string[]
  warnings: string[]
  // The registry as written, when it was.
  registry?: string
  // The versions left on disk, as the run record gets them (h.state 'images').
  images: string
}

function effect(r: TaskRun): Effect {
  return {
    status: r.status,
    removed: r.runs.filter((c) => c.startsWith('rm -f -- ')),
    warnings: r.warnings,
    ...(r.written[REGISTRY] !== undefined && { registry: r.written[REGISTRY] }),
    images: r.state.images ?? '',
  }
}

const retention = test.macro({
  async exec(t, s: Seat, want: Effect) {
    const r = await runTask(vmImage, TASK, roleCase(s))
    t.deepEqual(effect(r), want, r.message)
  },
  title: (title = '') => `retention: ${title}`,
})

test('nothing past images_keep: the registry alone is read', retention,
  { registry: ['2026.09', '2026.11'], present: ['2026.09', '2026.11'] },
  { status: 'ok', removed: [], warnings: [], images: '2026.09 2026.11' })
test('the oldest past images_keep goes, with its stamps, and leaves the registry', retention,
  { registry: ['2026.05', '2026.09', '2026.11'], present: ['2026.05', '2026.09', '2026.11'] },
  { status: 'changed', removed: [rm('2026.05')], warnings: [], registry: '2026.09\n2026.11\n', images: '2026.09 2026.11' })
test('images_keep 1 (a string from -e): every version but the current one goes', retention,
  { registry: ['2026.05', '2026.09', '2026.11'], present: ['2026.05', '2026.09', '2026.11'], vars: { images_keep: '1' } },
  { status: 'changed', removed: [rm('2026.05'), rm('2026.09')], warnings: [], registry: '2026.11\n', images: '2026.11' })
test('a version a running VM holds stays, with a warning naming the process, and stays in the registry', retention,
  { registry: ['2026.05', '2026.09', '2026.11'], present: ['2026.05', '2026.09', '2026.11'], held: { '2026.05': [812] } },
  { status: 'ok', removed: [], warnings: [`kept ${file('2026.05')}: version 2026.05 is in use by pid 812 (qemu-system-x86)`], images: '2026.05 2026.09 2026.11' })
test('a holder of another version keeps nothing else', retention,
  { registry: ['2026.05', '2026.09', '2026.11'], present: ['2026.05', '2026.09', '2026.11'], held: { '2026.09': [812] } },
  { status: 'changed', removed: [rm('2026.05')], warnings: [], registry: '2026.09\n2026.11\n', images: '2026.09 2026.11' })
test('an expired file already gone leaves the registry, nothing to remove', retention,
  { registry: ['2026.05', '2026.09', '2026.11'], present: ['2026.09', '2026.11'] },
  { status: 'changed', removed: [], warnings: [], registry: '2026.09\n2026.11\n', images: '2026.09 2026.11' })
test('after a rollback to an older version, the newer ones past images_keep go', retention,
  { registry: ['2026.09', '2026.12', '2026.11'], present: ['2026.09', '2026.11', '2026.12'], vars: { images_keep: 1 } },
  { status: 'changed', removed: [rm('2026.09'), rm('2026.12')], warnings: [], registry: '2026.11\n', images: '2026.11' })

test('retention: check mode says what it would remove, and removes nothing', async (t) => {
  const r = await runTask(vmImage, TASK, roleCase({ registry: ['2026.05', '2026.09', '2026.11'], present: ['2026.05', '2026.09', '2026.11'], check: true }))
  t.deepEqual(r.runs, [])
  t.is(r.changes.length, 2)
  t.true(r.changes[0]!.startsWith(`would run: rm -f -- ${file('2026.05')} `), r.changes[0])
  t.is(r.changes[1], `would update ${REGISTRY}`)
  t.is(r.state.images, '2026.05 2026.09 2026.11', 'nothing was removed: the record hears of every version')
})

test('retention: a registry that does not list the current version yet (check mode before the first run) adds it', async (t) => {
  const r = await runTask(vmImage, TASK, roleCase({ registry: ['2026.09'], present: ['2026.09'], check: true }))
  t.is(r.state.images, '2026.09 2026.11')
})

test('retention: when /proc cannot be read, nothing is removed', async (t) => {
  const c = roleCase({ registry: ['2026.05', '2026.09', '2026.11'], present: ['2026.05'] })
  c.probes!.splice(1, 1, [/^for p in /, { code: 1, stderr: 'find: /proc: Permission denied' }])
  const r = await runTask(vmImage, TASK, c)
  t.deepEqual([r.status, r.message, r.runs], ['failed', 'cannot look for processes holding old images: find: /proc: Permission denied', []])
})
