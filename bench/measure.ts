import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run } from '../test/lab/run.ts'
import { startRssSampler } from './sampler.ts'

// One timed run of a tool in the lab's controller namespace, as GNU time saw it.
export interface Sample {
  wallS: number
  // Largest single process of the run (GNU time %M: the biggest reaped process, not the sum).
  rssMb: number
  // Peak sum over every process in the controller namespace, sampled every 200 ms.
  treeRssMb: number
  // User + system seconds of the tool and every child it waited for.
  cpuS: number
  code: number
  stdout: string
  stderr: string
}

// Runs `argv` under `/usr/bin/time -f '%e %M %U %S'`, inside the lab's controller namespace `ns` when
// given: the vantage point of an admin's laptop on the room's network, the same clock for every tool.
export async function timed(ns: string | undefined, argv: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<Sample> {
  const dir = mkdtempSync(join(tmpdir(), 'labplay-bench-time-'))
  const out = join(dir, 'time')
  const stopSampler = ns ? startRssSampler(ns) : () => NaN
  try {
    const inNs = ns ? ['ip', 'netns', 'exec', ns] : []
    const [file, ...args] = [...inNs, '/usr/bin/time', '-o', out, '-f', '%e %M %U %S', ...argv]
    const r = await run(file!, args, { env: opts.env ?? process.env, cwd: opts.cwd, timeoutMs: opts.timeoutMs ?? 600_000 })
    const treeRssMb = stopSampler()
    const line = readFileSync(out, 'utf8').trim().split('\n').at(-1) ?? ''
    const [e, m, u, s] = line.split(' ').map(Number)
    if ([e, m, u, s].some((x) => x === undefined || Number.isNaN(x))) throw new Error(`cannot read GNU time's line '${line}'\n${r.stderr}`)
    return { wallS: e!, rssMb: m! / 1024, treeRssMb, cpuS: u! + s!, code: r.code, stdout: r.stdout, stderr: r.stderr }
  } finally {
    stopSampler()
    rmSync(dir, { recursive: true, force: true })
  }
}

// Median and range of one metric over the rounds: what the tables print.
export interface Spread { median: number; min: number; max: number; n: number }

// The tables report medians with min–max, never means: one stalled round must not move the headline.
export function spread(values: number[]): Spread {
  if (values.length === 0) return { median: NaN, min: NaN, max: NaN, n: 0 }
  const s = [...values].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
  return { median, min: s[0]!, max: s.at(-1)!, n: s.length }
}

// A run that did not do what it was timed for (failed host, wrong changed count) is a broken benchmark, not a number.
export function expectOk(tool: string, sample: Sample, check: (s: Sample) => string | undefined): void {
  const why = sample.code !== 0 ? `exit ${sample.code}` : check(sample)
  if (why) throw new Error(`${tool}: ${why}\n--- stdout (tail)\n${sample.stdout.slice(-3000)}\n--- stderr (tail)\n${sample.stderr.slice(-2000)}`)
}
