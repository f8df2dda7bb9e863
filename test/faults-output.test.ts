import test from 'ava'
import { join } from 'node:path'
import { createLab, type Lab } from './lab/lab.ts'
import { BIN, cleanUp, labplay } from './helpers/labplay.ts'
import { hugeUname, manyKernels, peakRssEnv, peakRssMb, stillRunning } from './fixtures/faults/hostile-seats.ts'
import { faultProject, playbook, shown } from './fixtures/faults/run.ts'

// Seats that send without end, in one run on real SSH hosts: the controller's memory stays bounded,
// the hostile seats fail with a clear message, nothing they started keeps running, the others finish,
// and the run is recorded. Peak RSS is labplay's own VmHWM, read by a preload as its process exits.
const PEAK_RSS_LIMIT_MB = 300

let lab: Lab
const dirs: string[] = []

test.before(async () => {
  lab = await createLab({ hosts: 8 })
})

test.after.always(() => cleanUp(lab, ...dirs))

test.serial('3 seats printing 1 GiB on one line, one running yes, a 300 MB fact and megabyte facts: the others finish, the run is recorded, the controller peaks under 300 MB', async (t) => {
  const [stdout, stream, stderr, yes, bigFact, manyFacts, ...healthy] = lab.hosts.map((h) => h.name) as [string, string, string, string, string, string, ...string[]]
  await hugeUname(lab, bigFact)
  await manyKernels(lab, manyFacts)
  const floods = { [stdout]: 'stdout', [stream]: 'stream', [stderr]: 'stderr', [yes]: 'yes' }
  const dir = faultProject({ 'site.yml': playbook('flood', { floods }) })
  dirs.push(dir)
  const records = join(dir, 'runs.db')
  const peak = join(dir, 'peak-rss')
  const started = performance.now()
  // No timeout stops `yes`: the task timeout is an hour, the test allows three minutes.
  const ran = await labplay(lab, [join(dir, 'site.yml'), '--task-timeout', '3600'], { cwd: dir, env: { LABPLAY_RECORDS: records, ...peakRssEnv(peak) }, timeoutMs: 180_000 })
  const seconds = (performance.now() - started) / 1000
  const rss = peakRssMb(peak)
  t.log(`labplay peak RSS (VmHWM at exit) ${rss.toFixed(0)} MB, run ${seconds.toFixed(1)} s`)

  t.is(ran.code, 2, shown(ran))
  const output = ran.stdout + ran.stderr
  for (const h of healthy) {
    t.like(ran.recap.get(h), { failed: 0, unreachable: 0 }, h)
    t.is((await lab.exec(h, 'cat /srv/faults/flood')).stdout, `${h}\n`, `${h} finished the play`)
  }
  for (const h of [stdout, stream, stderr, yes]) {
    t.like(ran.recap.get(h), { failed: 1, unreachable: 0 }, h)
    t.regex(output, new RegExp(`${h}.*output exceeded 16 MiB; the command was killed`), h)
    t.is(await stillRunning(lab, h, ['head', 'tr', 'yes']), '', `nothing left running on ${h}`)
  }
  t.regex(output, new RegExp(`${bigFact}.*could not read facts: fact 'kernel': expected at most 8 KiB, got more`))
  t.regex(output, new RegExp(`${manyFacts}.*could not read facts: output exceeded 1 MiB; the command was killed`))
  for (const h of [bigFact, manyFacts]) t.like(ran.recap.get(h), { ok: 0, failed: 1 }, h)
  t.true(rss < PEAK_RSS_LIMIT_MB, `peak RSS ${rss.toFixed(0)} MB`)

  const shownRun = await lab.controller(['node', BIN, 'show', 'last', '--json', '--records', records], { cwd: dir, timeoutMs: 30_000 })
  t.is(shownRun.code, 0, shown(shownRun))
  const run = JSON.parse(shownRun.stdout) as { endedAt: string | null; exitCode: number; hosts: Array<{ host: string; status: string; message: string | null }> }
  t.truthy(run.endedAt)
  t.is(run.exitCode, 2)
  t.deepEqual(run.hosts.map((h) => h.host).sort(), lab.hosts.map((h) => h.name).sort())
  const byHost = new Map(run.hosts.map((h) => [h.host, h]))
  for (const h of [stdout, stream, stderr, yes]) t.regex(byHost.get(h)?.message ?? '', /output exceeded 16 MiB/, h)
  t.regex(byHost.get(bigFact)?.message ?? '', /fact 'kernel': expected at most 8 KiB/)
  for (const h of healthy) t.not(byHost.get(h)?.status, 'failed', h)
})
