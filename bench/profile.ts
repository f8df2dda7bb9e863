import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface CpuProfile { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] }

// Where a profile's time went: by area (node's module loader, tsx/esbuild, a package, labplay's own
// folders) and the heaviest functions, in ms of self time. What the report quotes as evidence.
export interface ProfileSummary {
  totalMs: number
  areas: Array<[string, number]>
  functions: Array<[string, number]>
}

// Reads the one .cpuprofile that `node --cpu-prof --cpu-prof-dir=DIR` left in DIR.
export function summarizeProfileDir(dir: string, top = 12): ProfileSummary {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))
  if (!file) throw new Error(`no .cpuprofile in ${dir}`)
  return summarize(JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile, top)
}

function summarize(p: CpuProfile, top: number): ProfileSummary {
  const byId = new Map(p.nodes.map((n) => [n.id, n]))
  const self = new Map<number, number>()
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000))
  const areas = new Map<string, number>()
  const fns = new Map<string, number>()
  for (const [id, ms] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame
    const area = areaOf(functionName, url)
    areas.set(area, (areas.get(area) ?? 0) + ms)
    const key = `${functionName || '(anonymous)'} ${shortUrl(url)}${url ? `:${lineNumber + 1}` : ''}`
    fns.set(key, (fns.get(key) ?? 0) + ms)
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1])
  return { totalMs: (p.endTime - p.startTime) / 1000, areas: sorted(areas), functions: sorted(fns).slice(0, top) }
}

function areaOf(fn: string, url: string): string {
  if (!url) return fn === '(idle)' ? 'idle (waiting on I/O: network, child processes)' : fn === '(garbage collector)' ? 'garbage collector' : `${fn || 'native'} (V8/native)`
  if (url.startsWith('node:internal/modules')) return 'node module loader (node:internal/modules)'
  if (url.startsWith('node:')) return 'node internals (other)'
  if (url.includes('/node_modules/.labplay/')) return 'labplay (bundled src, node_modules/.labplay)'
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (pkg) return pkg[1] === 'esbuild' || pkg[1] === 'tsx' || pkg[1] === 'get-tsconfig' ? `tsx/esbuild (TypeScript transform)` : `package ${pkg[1]}`
  const own = /\/(src\/[^/]+|roles\/[^/]+|bin)\//.exec(url)
  return own ? `labplay ${own[1]}` : shortUrl(url)
}

function shortUrl(url: string): string {
  return url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, '~/').replace(/^.*\/(src|roles|bin)\//, '$1/')
}
