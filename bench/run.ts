import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { benchHostile, HOSTILE_SEATS } from './hostile.ts'
import { benchImage, LINK_MBIT, type ImageResult } from './image.ts'
import { describeMachine, loadNow } from './machine.ts'
import { spread, type Sample } from './measure.ts'
import { parseOptions, USAGE } from './options.ts'
import { cell, profileTables, ratioTable, table, toolTable } from './report.ts'
import { benchFirst, benchRerun, type BenchConfig } from './rerun.ts'
import { profileRerun } from './run-profile.ts'
import { benchRoundTrip } from './roundtrip.ts'
import { benchStartup } from './startup.ts'

// `npm run bench`: every part the options select, one after the other, then a markdown report
// (bench/results/<time>.md unless --out) holding only numbers measured in this run.
const BENCH = dirname(fileURLToPath(import.meta.url))
let o: ReturnType<typeof parseOptions>
try {
  o = parseOptions(process.argv.slice(2))
} catch (err) {
  console.error(`${(err as Error).message}\n${USAGE}`)
  process.exit(5)
}

const started = new Date()
const log = (line: string) => console.log(`[${((Date.now() - started.getTime()) / 1000).toFixed(0)}s load ${loadNow()}] ${line}`)
const cfg: BenchConfig = { rounds: o.rounds, playbook: o.playbook, imageMb: o.roomImageMb, benchDir: BENCH, strategies: o.strategies, freeMaxHosts: o.freeMaxHosts, ansibleRounds: o.ansibleRounds, lab: o.lab, log }
const seats = o.lab === 'seat'
const sections: string[] = []
const command = `npx tsx bench/run.ts ${process.argv.slice(2).join(' ')}`.trim()

const machine = await describeMachine()
sections.push(`## Machine\n\n${table(['', ''], machine.map(([k, v]) => [k, `\`${v}\``]))}\n\nCommand: \`${command}\` (started ${started.toISOString()})`)

if (o.only.includes('startup')) {
  const r = await benchStartup(o.rounds, o.playbook, log)
  sections.push(`## Start-up (no host contacted)\n\n${table(['command', 'wall s', 'CPU s', 'peak RSS MB', 'rounds'],
    [...r.samples].map(([name, s]) => [name, cell(spread(s.map((x) => x.wallS))), cell(spread(s.map((x) => x.cpuS))), cell(spread(s.map((x) => x.rssMb)), 0), String(s.length)]))}`)
  for (const [name, p] of r.profiles) sections.push(profileTables(name, p))
}

if (o.only.includes('rerun')) {
  const byN = new Map<number, Map<string, Sample[]>>()
  for (const n of o.hosts) byN.set(n, await benchRerun(n, cfg))
  const ansible = o.strategies.map((s) => [`ansible-${s}`, 'labplay'] as [string, string])
  sections.push(`## Rerun of ${o.playbook}.yml on a configured room${seats ? ' of Debian 12 seats (systemd)' : ''} (changed=0), interleaved\n\n${toolTable(byN)}\n\n` +
    `Ratios of median wall times:\n\n${ratioTable(byN, [['labplay', 'floor'], ['labplay', 'floor-openssh-kex'], ...ansible])}`)
}

if (o.only.includes('first')) {
  const byN = new Map<number, Map<string, Sample[]>>()
  const notes: string[] = []
  for (const n of o.firstHosts) {
    const r = await benchFirst(n, cfg)
    byN.set(n, r.samples)
    notes.push(`N=${n}: ${r.crossCheck}`)
  }
  sections.push(`## First run of ${o.playbook}.yml on a fresh room${seats ? ' of bare Debian 12 seats (systemd; packages from the lab\'s mirror)' : ''} (a new lab per tool and round)\n\n${toolTable(byN)}\n\n` +
    `Ratios of median wall times:\n\n${ratioTable(byN, [[`ansible-${o.strategies[0]}`, 'labplay']])}\n\nSame work: ${notes.join('; ')}`)
}

if (o.only.includes('profile')) {
  const p = await profileRerun(Math.min(...o.hosts), o.playbook, o.roomImageMb)
  const tasks = table(['task', 'median ms per seat', 'max ms'], p.tasks.map((t) => [t.task, t.medianMs.toFixed(0), t.maxMs.toFixed(0)]))
  sections.push(`## Where a rerun's time goes (N=${p.hosts}, one run under --cpu-prof)\n\nprocess wall ${p.wallS.toFixed(2)} s, ` +
    `engine (--json durationMs) ${(p.engineMs / 1000).toFixed(2)} s, so ${(p.wallS - p.engineMs / 1000).toFixed(2)} s before and after the engine.\n\n${tasks}\n\n${profileTables('rerun', p.cpu)}`)
}

if (o.only.includes('roundtrip')) {
  const r = await benchRoundTrip(o.rounds)
  sections.push(`## One probe's round trip over one ssh2 connection (one seat, 40 probes a way, ${o.rounds} rounds)\n\n` +
    table(['way', 'ms per probe'], r.map(([way, ms]) => [way, cell(spread(ms), 1)])))
}

if (o.only.includes('image')) {
  const results: ImageResult[] = []
  for (const n of o.imageHosts) results.push(await benchImage(n, { rounds: Math.min(o.rounds, 3), imageMb: o.imageMb, bitrate: '95m', tools: o.imageTools, log }))
  const rows = results.flatMap((r) => [...r.samples].map(([tool, s]) => {
    const wall = spread(s.map((x) => x.wallS))
    return [String(r.hosts), tool, cell(wall, 1), `${r.limitS.toFixed(1)}`, `${(wall.median / r.limitS).toFixed(2)}×`, `${(1.3 * r.limitS + 5).toFixed(1)}`, String(s.length)]
  }))
  sections.push(`## Image distribution: ${(results[0]!.bytes / 1e6).toFixed(0)} MB, every link ${LINK_MBIT} Mbit/s (tbf), source behind one capped link\n\n` +
    table(['N', 'tool', 'wall s', 'limit s (size ÷ link rate)', 'ratio to limit', 'target s (1.3 × limit + 5)', 'rounds'], rows) +
    `\n\nOf labplay's wall time, the udpcast play-scoped task (rendezvous, multicast, verification): ` +
    results.map((r) => `N=${r.hosts}: ${cell(spread(r.multicastTaskS), 1)} s`).join('; '))
}

if (o.only.includes('hostile')) {
  const n = Math.min(...o.hosts)
  const r = await benchHostile(n, o.rounds, log)
  sections.push(`## Peak memory with hostile seats (N=${n}; ${HOSTILE_SEATS} hostile: three print 1 GiB on one line, one runs yes, one answers a 300 MB uname -r, one sends facts past 1 MiB)\n\n` +
    table(['room', 'wall s', 'peak RSS MB (labplay)', 'peak RSS MB (all controller processes)', 'rounds'],
      [...r].map(([room, s]) => [room, cell(spread(s.map((x) => x.wallS))), cell(spread(s.map((x) => x.rssMb)), 0), cell(spread(s.map((x) => x.treeRssMb)), 0), String(s.length)])))
}

const report = `# labplay benchmark run\n\n${sections.join('\n\n')}\n\nload average at the end: ${loadNow()}\n`
const out = resolve(o.out ?? join(BENCH, 'results', `${started.toISOString().replace(/[:.]/g, '-')}.md`))
mkdirSync(dirname(out), { recursive: true })
writeFileSync(out, report)
console.log(`\n${report}\nwritten to ${out}`)
