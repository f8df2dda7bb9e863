import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { cgroupPids } from '../test/lab/cgroup.ts'
import { createLab } from '../test/lab/lab.ts'

// Seat bring-up on this machine: for each N, seconds until all N seats booted and answer ssh, memory per
// idle seat (its memory cgroup's usage, and the PSS of its processes), and teardown seconds.
// Usage: npx tsx bench/seats.ts 1 5 18     (the base and the mirror must be built: test/lab/cli.ts prepare)
const counts = process.argv.slice(2).map(Number)
if (counts.length === 0 || counts.some((n) => !Number.isInteger(n) || n < 1)) {
  console.error('usage: npx tsx bench/seats.ts N…   (e.g. 1 5 18)')
  process.exit(5)
}

const pss = (pid: number): number => {
  try {
    return Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0) * 1024
  } catch {
    return 0
  }
}
// v1 memory.usage_in_bytes, or v2 memory.current, of the seat's own cgroup.
const usage = (cgroups: string[]): number => {
  for (const dir of cgroups) {
    for (const file of ['memory.usage_in_bytes', 'memory.current']) {
      if (existsSync(join(dir, file))) return Number(readFileSync(join(dir, file), 'utf8'))
    }
  }
  return NaN
}
const mb = (bytes: number) => (bytes / 1e6).toFixed(1)

console.log('| seats | bring-up s | slowest boot s | states | cgroup MB/seat | PSS MB/seat | teardown s |')
console.log('| ---: | ---: | ---: | --- | ---: | ---: | ---: |')
for (const n of counts) {
  const started = Date.now()
  const lab = await createLab({ hosts: n, kind: 'seat', prefix: `bench${n}` })
  const up = (Date.now() - started) / 1000
  try {
    const boots = Object.values(lab.boots)
    const states = [...new Set(boots.map((b) => b.state))].join('/')
    const seats = lab.hosts.map((h) => lab.seat(h.name))
    const cgroupBytes = seats.reduce((sum, s) => sum + usage(s.cgroups), 0) / n
    const pssBytes = seats.reduce((sum, s) => sum + cgroupPids(s.cgroups[0]!).reduce((a, pid) => a + pss(pid), 0), 0) / n
    const slowest = Math.max(...boots.map((b) => b.seconds))
    const stop = Date.now()
    await lab.destroy()
    console.log(`| ${n} | ${up.toFixed(1)} | ${slowest.toFixed(1)} | ${states} | ${mb(cgroupBytes)} | ${mb(pssBytes)} | ${((Date.now() - stop) / 1000).toFixed(1)} |`)
  } finally {
    await lab.destroy()
  }
}
