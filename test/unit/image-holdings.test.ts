import test from 'ava'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { coverage, hostNames } from '../../src/image/holdings.ts'
import type { HostEnd } from '../../src/records/rows.ts'
import { openRecords } from '../../src/records/store.ts'

// Which seat holds which image version: vm-image's h.state reports as the record keeps them, and the split of a
// group's seats for one version.

function hostEnd(host: string, state?: Record<string, string>): HostEnd {
  return { host, status: 'ok', ok: 1, changed: 0, failed: 0, skipped: 0, unreachable: 0, message: null, tasks: [], roles: [], ...(state && { state }) }
}

test('the record: the verified version and the versions on disk, merged over runs; older records know the current one only', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'labplay-holdings-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const records = openRecords(join(dir, 'runs.db'))
  t.teardown(() => records.close())
  const run = (hosts: HostEnd[]) => records.finishRun(records.startRun({ playbook: '/p/site.yml', command: 'labplay site.yml', user: 'a', startedAt: '2026-12-01T10:00:00Z', check: false }), { endedAt: '2026-12-01T10:01:00Z', exitCode: 0, hosts })
  run([hostEnd('m5-01', { image: '1', images: '1' }), hostEnd('m5-02', { image: '1' }), hostEnd('m5-03')])
  run([hostEnd('m5-01', { image: '2', images: '1 2' })])
  const byHost = new Map(records.imageHoldings().map((h) => [h.host, h]))
  t.like(byHost.get('m5-01'), { current: '2', kept: ['1', '2'] })
  t.like(byHost.get('m5-02'), { current: '1', kept: ['1'] }, 'no images report: the verified version is on its disk')
  t.like(byHost.get('m5-03'), { current: null, kept: [] })
})

test('coverage: holding, lacking (with what they run) and never reported, in the group order', (t) => {
  const holdings = [
    { host: 'm5-01', current: '2', kept: ['1', '2'], lastRunAt: null },
    { host: 'm5-02', current: '2', kept: ['2'], lastRunAt: null },
    { host: 'm5-03', current: null, kept: [], lastRunAt: null },
  ]
  t.deepEqual(coverage('1', ['m5-03', 'm5-02', 'm5-01', 'm5-04'], holdings), {
    holding: ['m5-01'],
    lacking: [{ host: 'm5-02', current: '2' }],
    unknown: ['m5-03', 'm5-04'],
  })
})

test('host names on one line: the first eight, then how many more', (t) => {
  t.is(hostNames(['a', 'b']), 'a, b')
  t.is(hostNames(Array.from({ length: 18 }, (_, i) => `m5-${String(i + 1).padStart(2, '0')}`)), 'm5-01, m5-02, m5-03, m5-04, m5-05, m5-06, m5-07, m5-08, … (+10)')
})
