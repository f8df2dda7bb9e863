import test from 'ava'
import { spawnSync } from 'node:child_process'
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseHistory } from '../src/image/history.ts'
import type { HostEnd } from '../src/records/rows.ts'
import { openRecords } from '../src/records/store.ts'
import type { ImageManifest } from '../src/sdk/manifest.ts'
import { makeImage } from './helpers/image.ts'
import { BIN, ROOT } from './helpers/labplay.ts'

// `image list` and `image rollback` against a run record written through the store, as vm-image's reports would
// leave it: which versions exist, who holds which, and a rollback that trusts the stamp or hashes again.

let dir: string
let inv: string
let records: string
const images: Record<string, ImageManifest> = {}

function labplay(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync('node', [BIN, 'image', ...args, '-i', inv], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', LABPLAY_RECORDS: records }, timeout: 60_000 })
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

// One recorded run in which these m5 seats reported what vm-image reports.
function recorded(seats: Record<string, { image: string; images: string }>): void {
  const db = openRecords(records)
  const hosts: HostEnd[] = Object.entries(seats).map(([host, state]) => ({ host, status: 'ok', ok: 1, changed: 0, failed: 0, skipped: 0, unreachable: 0, message: null, tasks: [], roles: [], state }))
  db.finishRun(db.startRun({ playbook: '/p/site.yml', command: 'labplay site.yml', user: 'a', startedAt: new Date().toISOString(), check: false }), { endedAt: new Date().toISOString(), exitCode: 0, hosts })
  db.close()
}

const current = () => /version: "([^"]+)"/.exec(readFileSync(join(inv, 'group_vars/m5.yml'), 'utf8'))?.[1]

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'labplay-rollback-'))
  inv = join(dir, 'inventory')
  records = join(dir, 'runs.db')
  cpSync(join(ROOT, 'inventory'), inv, { recursive: true })
  for (const v of ['1', '2', '3']) images[v] = await makeImage(join(dir, 'masters'), { dataMb: 2, version: v })
  for (const v of ['1', '2', '3']) {
    const out = labplay('publish', images[v]!.source, '--name', 'win11-lab', '--version', v, '--group', 'm5')
    if (out.code !== 0) throw new Error(out.stderr)
  }
})
test.after.always(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

test.serial('list: the versions newest first, the current one marked, who holds each, who lacks the current one', (t) => {
  recorded({ 'm5-01': { image: '3', images: '2 3' }, 'm5-02': { image: '2', images: '1 2' }, 'm5-03': { image: '3', images: '3' } })
  const out = labplay('list', '--group', 'm5')
  t.is(out.code, 0, out.stderr)
  const lines = out.stdout.split('\n')
  t.regex(lines[0]!, /^win11-lab for group m5 \(inventory\/group_vars\/m5\.yml\), 18 seats$/)
  t.regex(lines[1]!, /^ +version +published +by +size +seats holding it$/)
  t.regex(lines[2]!, /^\* +3 +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +\S+ +\d\.\d MB +2: m5-01, m5-03$/)
  t.regex(lines[3]!, /^ +2 .* 2: m5-01, m5-02$/)
  t.regex(lines[4]!, /^ +1 .* 1: m5-02$/)
  t.is(lines[5], 'lacking 3: 1 seat: m5-02 (2) (labplay site.yml --stale sends it)')
  t.regex(lines[6]!, /^no image recorded: 15 seats: m5-04, m5-05, .* \(\+7\)$/)

  const limited = JSON.parse(labplay('list', '--group', 'm5', '-l', 'm5-01:m5-02', '--json').stdout) as { seats: number; versions: Array<{ image: { version: string }; current: boolean; seats: string[] }>; lacking: unknown[]; unknown: string[] }
  t.is(limited.seats, 2)
  t.deepEqual(limited.versions.map((v) => [v.image.version, v.current, v.seats]), [['3', true, ['m5-01']], ['2', false, ['m5-01', 'm5-02']], ['1', false, ['m5-02']]])
  t.deepEqual(limited.lacking, [{ host: 'm5-02', current: '2' }])
  t.deepEqual(limited.unknown, [])
})

test.serial('rollback: the version before, trusted by its stamp (nothing hashed); the seats that still hold it named', (t) => {
  const out = labplay('rollback', '--group', 'm5')
  t.is(out.code, 0, out.stderr)
  t.is(current(), '2')
  t.regex(out.stdout, /: unchanged since it was hashed \(its stamp\)\n/)
  t.regex(out.stdout, /rolled back group m5 to win11-lab 2 \(was 3\) in inventory\/group_vars\/m5\.yml\n/)
  t.regex(out.stdout, /  2 seats still hold 2 and need no transfer: m5-01, m5-02\n  1 seat will receive it: m5-03\n  15 seats with no image recorded: /)
  t.is(out.stderr, '', 'no hash, no progress')
  const h = parseHistory(readFileSync(join(inv, 'group_vars/.m5.image-history.yml'), 'utf8'), 'h')
  t.deepEqual(h.map((e) => [e.action, e.image.version]), [['publish', '1'], ['publish', '2'], ['publish', '3'], ['rollback', '2']])
})

test.serial('rollback --to: a file whose mtime moved is hashed again (with progress), accepted when its bytes are the same, and stamped anew', (t) => {
  const when = new Date(Date.now() - 3600_000)
  utimesSync(images['1']!.source, when, when)
  const out = labplay('rollback', '--group', 'm5', '--to', '1')
  t.is(out.code, 0, out.stderr)
  t.regex(out.stderr, /^hashing win11-lab-1\.qcow2 \(/)
  t.is(current(), '1')
  // Its stamp now has the new key: away and back again, nothing is hashed.
  t.is(labplay('rollback', '--group', 'm5', '--to', '2').code, 0)
  const back = labplay('rollback', '--group', 'm5', '--to', '1')
  t.is(back.code, 0, back.stderr)
  t.regex(back.stdout, /win11-lab-1\.qcow2: unchanged since it was hashed \(its stamp\)\n/)
  t.is(back.stderr, '', 'no hash, no progress')
  t.is(current(), '1')
})

test.serial('rollback refuses, leaving the manifest: an unknown version, the current one, changed bytes, a file gone', (t) => {
  const before = readFileSync(join(inv, 'group_vars/m5.yml'), 'utf8')
  const unknown = labplay('rollback', '--group', 'm5', '--to', '9')
  t.is(unknown.code, 5)
  t.regex(unknown.stderr, /--to 9: not a published version \(published: 1, 2, 3\)/)
  t.regex(labplay('rollback', '--group', 'm5', '--to', '1').stderr, /win11-lab 1 is already the current image/)

  chmodSync(images['3']!.source, 0o644)
  const data = readFileSync(images['3']!.source)
  data[data.length - 1] ^= 0xff
  writeFileSync(images['3']!.source, data)
  const changed = labplay('rollback', '--group', 'm5', '--to', '3')
  t.is(changed.code, 5)
  t.regex(changed.stderr, /win11-lab-3\.qcow2 has sha256 [0-9a-f]{64}, win11-lab 3 had [0-9a-f]{64}: it was changed after publishing/)

  rmSync(images['2']!.source)
  const gone = labplay('rollback', '--group', 'm5', '--to', '2')
  t.is(gone.code, 5)
  t.regex(gone.stderr, /win11-lab 2: its file .*win11-lab-2\.qcow2 is gone: it cannot be sent again/)
  t.is(readFileSync(join(inv, 'group_vars/m5.yml'), 'utf8'), before)
  t.regex(labplay('rollback', '--group', 'm6').stderr, /no version of this group's image was published with labplay/)
})
