import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import test from 'ava'
import type { RunSummary } from '../../src/engine/events.ts'
import { writeJsonSummary, writeRetryFile } from '../../src/output/index.ts'

const summary: RunSummary = {
  playbook: 'site.yml',
  startedAt: '2025-01-01T00:00:00.000Z',
  durationMs: 1234,
  check: true,
  interrupted: false,
  exitCode: 2,
  hosts: [{
    host: 'm5-01', ok: 1, changed: 1, unreachable: 0, failed: 1, skipped: 0, warnings: ['reboot pending'],
    tasks: [
      // Keys deliberately out of order, with a diff that must not reach the JSON.
      { changed: true, status: 'changed', task: 'smb.conf listens on loopback only', role: 'samba-loopback', play: 'site', durationMs: 12, diff: ['-old\n+secret=1'] },
      { play: 'site', role: 'kvm-module', task: 'kvm module loaded', status: 'failed', changed: false, durationMs: 3, message: 'no VT-x' },
    ],
  }],
}

const tmp = () => mkdtemp(join(tmpdir(), 'labplay-output-'))

test('JSON summary: stable key order, per host and task, no diffs', async (t) => {
  const file = join(await tmp(), 'run.json')
  await writeJsonSummary(summary, file)
  const text = await readFile(file, 'utf8')
  t.true(text.endsWith('}\n'))
  const json = JSON.parse(text)
  t.deepEqual(Object.keys(json), ['playbook', 'startedAt', 'durationMs', 'check', 'interrupted', 'exitCode', 'hosts'])
  t.deepEqual(Object.keys(json.hosts[0]), ['host', 'ok', 'changed', 'unreachable', 'failed', 'skipped', 'warnings', 'tasks'])
  t.deepEqual(json.hosts[0].tasks, [
    { play: 'site', role: 'samba-loopback', task: 'smb.conf listens on loopback only', status: 'changed', changed: true, durationMs: 12 },
    { play: 'site', role: 'kvm-module', task: 'kvm module loaded', status: 'failed', changed: false, durationMs: 3, message: 'no VT-x' },
  ])
  t.deepEqual(Object.keys(json.hosts[0].tasks[0]), ['play', 'role', 'task', 'status', 'changed', 'durationMs'])
  t.false(text.includes('secret'))
})

test('JSON summary to stdout with "-"', async (t) => {
  const written: string[] = []
  const original = process.stdout.write
  process.stdout.write = ((chunk: string, cb?: (error?: Error | null) => void) => {
    written.push(chunk)
    cb?.()
    return true
  }) as typeof process.stdout.write
  try {
    await writeJsonSummary(summary, '-')
  } finally {
    process.stdout.write = original
  }
  t.is(JSON.parse(written.join('')).hosts[0].host, 'm5-01')
})

test('retry file: one host per line, written atomically, removed when nothing failed', async (t) => {
  const dir = await tmp()
  const file = join(dir, 'site.retry')
  await writeRetryFile(file, ['m5-07', 'm5-09', 'm5-07'])
  t.is(await readFile(file, 'utf8'), 'm5-07\nm5-09\n')
  t.deepEqual(await readdir(dir), ['site.retry'])
  await writeRetryFile(file, [])
  t.deepEqual(await readdir(dir), [])
  await writeRetryFile(file, [])
  t.deepEqual(await readdir(dir), [])
})

test('retry file replaces an old one', async (t) => {
  const file = join(await tmp(), 'site.retry')
  await writeFile(file, 'old-1\nold-2\nold-3\n')
  await writeRetryFile(file, ['m5-02'])
  t.is(await readFile(file, 'utf8'), 'm5-02\n')
})
