import test from 'ava'
import udpcast from '../../roles/udpcast/index.ts'
import { stampPath } from '../../src/sdk/stamp.ts'
import { runPlay, type PlayRun, type RoleCase, type Rules } from './role-harness.ts'

// Which hosts receive the image, how and from whom, as data (role-harness.ts): each host's copy (its seat) and
// variables, and the sender's answers, in; per host, what the play-scoped task does (in check mode: would do).

const SHA = 'c0'.repeat(32)
const SIZE = 8589934592
const IMAGE = { name: 'win11-lab', version: '2026.11', size: SIZE, sha256: SHA, source: '/srv/labplay/source/win11.qcow2' }
const FINAL = '/srv/labplay/images/win11-lab-2026.11.qcow2'
const PART = `${FINAL}.part`

const right = { sums: { [FINAL]: { sha256: SHA, size: SIZE } } }
const wrong = { sums: { [FINAL]: { sha256: 'ff'.repeat(32), size: SIZE } } }
const missing = {}
const host = (n: number, seat: RoleCase['seat'], vars: Record<string, unknown> = {}): RoleCase => ({
  seat,
  vars: { image: IMAGE, ansible_host: `10.0.0.1${n}`, ...vars },
})

// The sender (the controller, or a host) finds its source and its route toward the first remote target.
const source = (bytes = SIZE): Rules => [
  [`stat -L -c %s -- ${IMAGE.source}`, bytes ? `${bytes}\n` : { code: 1 }],
  [/^ip -o route get 10\.0\.0\.1\d$/, '10.0.0.11 dev br0 src 10.0.0.1 uid 0 \\    cache\n'],
]

// What each host ends with: 'ok' (nothing to receive), the change it would make, 'failed: …', or 'left: …' when an
// earlier task failed it (it is then no target at all).
function ends(run: PlayRun): Record<string, string> {
  return Object.fromEntries(Object.entries(run.hosts).map(([name, results]) => {
    const last = results.at(-1)!
    if (results.length < udpcast.tasks.length) return [name, `left: ${last.message}`]
    if (last.status === 'failed') return [name, `failed: ${last.message}`]
    return [name, last.status === 'changed' ? last.changes.join('; ') : last.status]
  }))
}

const targets = test.macro({
  async exec(t, hosts: Record<string, RoleCase>, controller: Rules, want: Record<string, string>) {
    t.deepEqual(ends(await runPlay(udpcast, hosts, { check: true, controller })), want)
  },
  title: (title = '') => `targets: ${title}`,
})

const BY_MULTICAST = 'would receive 8.6 GB by multicast from the controller'

test('every copy is right: nobody receives, the sender is not asked', targets,
  { 'm5-01': host(1, right), 'm5-02': host(2, right) }, [],
  { 'm5-01': 'ok', 'm5-02': 'ok' })
test('the hosts missing it, or holding a wrong copy, receive one multicast stream', targets,
  { 'm5-01': host(1, right), 'm5-02': host(2, missing), 'm5-03': host(3, wrong) }, source(),
  { 'm5-01': 'ok', 'm5-02': BY_MULTICAST, 'm5-03': BY_MULTICAST })
test('a single target gets a plain copy over its SSH connection', targets,
  { 'm5-01': host(1, right), 'm5-02': host(2, missing) }, source(),
  { 'm5-01': 'ok', 'm5-02': 'would receive 8.6 GB by copy over ssh from the controller' })
for (const value of [false, 'no', 'off', 'n']) {
  test(`udpcast_unicast_single ${JSON.stringify(value)}: a single target is multicast to as well`, targets,
    { 'm5-02': host(2, missing, { udpcast_unicast_single: value }) }, source(),
    { 'm5-02': BY_MULTICAST })
}
test('a host of the play sends: it copies its own source locally, the others get its multicast', targets,
  {
    'm5-01': { ...host(1, missing, { udpcast_sender_host: 'm5-01' }), probes: source() },
    'm5-02': host(2, missing, { udpcast_sender_host: 'm5-01' }),
    'm5-03': host(3, right, { udpcast_sender_host: 'm5-01' }),
  }, [],
  { 'm5-01': 'would receive 8.6 GB by local copy from m5-01', 'm5-02': 'would receive 8.6 GB by multicast from m5-01', 'm5-03': 'ok' })
test('a sender host that is not in the play fails the targets, not the others', targets,
  { 'm5-01': host(1, right, { udpcast_sender_host: 'm5-09' }), 'm5-02': host(2, missing, { udpcast_sender_host: 'm5-09' }) }, [],
  { 'm5-01': 'ok', 'm5-02': "failed: udpcast_sender_host 'm5-09' is not a host of this play that is still healthy (hosts: m5-01, m5-02)" })
test('no source on the sender fails the targets', targets,
  { 'm5-01': host(1, missing), 'm5-02': host(2, missing) }, source(0),
  { 'm5-01': `failed: image.source ${IMAGE.source} does not exist on the controller`, 'm5-02': `failed: image.source ${IMAGE.source} does not exist on the controller` })
test('a source of another size than the manifest says fails the targets', targets,
  { 'm5-02': host(2, missing) }, source(1024),
  { 'm5-02': `failed: image.source ${IMAGE.source} has 1024 bytes on the controller, the manifest says ${SIZE}` })
test('no route from the sender to the room fails the targets', targets,
  { 'm5-02': host(2, missing) }, [source()[0]!, [/^ip -o route get /, { code: 2, stderr: 'RTNETLINK answers: Network is unreachable' }]],
  { 'm5-02': 'failed: the controller has no route to m5-02 (10.0.0.12)' })
test('a host with a bad manifest fails the first task and is no target', targets,
  { 'm5-01': host(1, missing, { image: { ...IMAGE, name: '../etc' } }), 'm5-02': host(2, missing) }, source(),
  { 'm5-01': `left: image.name: expected letters, digits, '.', '_' or '-' only (it names a file), got "../etc"`, 'm5-02': 'would receive 8.6 GB by copy over ssh from the controller' })
test("a host whose images_dir vm-image would refuse is no target: it fails before any byte travels", targets,
  { 'm5-01': host(1, missing, { images_dir: "/srv/it's here" }), 'm5-02': host(2, missing) }, source(),
  { 'm5-01': `left: images_dir: expected an absolute path of letters, digits, '.', '_', '-' and '/', got "/srv/it's here"`, 'm5-02': 'would receive 8.6 GB by copy over ssh from the controller' })

test('a right copy with a .part left by an interrupted run: the .part and its stamp go', async (t) => {
  const stamp = stampPath(PART)
  const run = await runPlay(udpcast, { 'm5-01': host(1, { ...right, files: { [PART]: 'half', [stamp]: `${SHA} 4 1.0 7\n` } }) })
  const [checked, , delivered] = run.hosts['m5-01']!
  t.is(checked!.status, 'changed')
  t.deepEqual(checked!.runs, [`rm -rf -- ${PART}`, `rm -rf -- ${stamp}`])
  t.is(delivered!.status, 'ok')
  t.deepEqual(run.controller, [])
})
