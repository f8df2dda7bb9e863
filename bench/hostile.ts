import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { BIN, parseRecap } from '../test/helpers/labplay.ts'
import { createLab, type Lab } from '../test/lab/lab.ts'
import { hugeUname, manyKernels } from '../test/fixtures/faults/hostile-seats.ts'
import { faultProject, playbook } from '../test/fixtures/faults/run.ts'
import { timed, type Sample } from './measure.ts'

// Seats made hostile in the hostile room: three print 1 GiB on one line (session stdout, session
// stderr, a streamed exec channel), one runs `yes`, one answers `uname -r` with 300 MB, one has facts
// past 1 MiB. The healthy room runs the same playbook with every seat well behaved.
const FLOODS = ['stdout', 'stderr', 'stream', 'yes'] as const
export const HOSTILE_SEATS = FLOODS.length + 2

// What the part prints: per room, labplay's wall time and peak RSS (GNU time's %M: labplay's node
// process) and the whole controller namespace's, interleaved healthy, hostile, healthy, hostile…
export async function benchHostile(hosts: number, rounds: number, log: (line: string) => void): Promise<Map<string, Sample[]>> {
  if (hosts < HOSTILE_SEATS + 1) throw new Error(`--only hostile needs at least ${HOSTILE_SEATS + 1} seats, got ${hosts}`)
  const [healthy, hostile] = [await createLab({ hosts, prefix: 'calm' }), await createLab({ hosts, prefix: 'hostile' })]
  const dirs: string[] = []
  try {
    const names = hostile.hosts.map((h) => h.name)
    await hugeUname(hostile, names[FLOODS.length]!)
    await manyKernels(hostile, names[FLOODS.length + 1]!)
    const rooms: Array<[string, Lab, Record<string, string>]> = [
      ['healthy seats', healthy, {}],
      [`${HOSTILE_SEATS} hostile seats`, hostile, Object.fromEntries(FLOODS.map((how, i) => [names[i]!, how]))],
    ]
    const samples = new Map<string, Sample[]>(rooms.map(([name]) => [name, []]))
    for (let round = 1; round <= rounds; round++) {
      for (const [name, lab, floods] of rooms) {
        const dir = faultProject({ 'site.yml': playbook('flood', { floods }) })
        dirs.push(dir)
        const argv = ['node', BIN, join(dir, 'site.yml'), '-i', lab.inventory, '--known-hosts', lab.knownHosts, '--task-timeout', '3600']
        const s = await timed(lab.controllerNs, argv, { env: { ...process.env, NO_COLOR: '1', LABPLAY_RECORDS: join(dir, 'runs.db') }, cwd: dir })
        check(name, s, hosts, Object.keys(floods).length ? HOSTILE_SEATS : 0)
        samples.get(name)!.push(s)
        log(`hostile N=${hosts} round ${round}/${rounds} ${name}: ${s.wallS.toFixed(2)} s, rss ${s.rssMb.toFixed(0)} MB (tree ${s.treeRssMb.toFixed(0)})`)
      }
    }
    return samples
  } finally {
    await Promise.all([healthy.destroy(), hostile.destroy()])
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  }
}

// A round where the hostile seats did not all fail, or a healthy one did, measured something else.
function check(name: string, s: Sample, hosts: number, hostileSeats: number): void {
  const recap = [...parseRecap(s.stdout).values()]
  const failed = recap.filter((c) => c.failed > 0).length
  if (recap.length !== hosts || failed !== hostileSeats || s.code !== (hostileSeats ? 2 : 0)) {
    throw new Error(`${name}: exit ${s.code}, ${failed} of ${recap.length} seats failed (expected ${hostileSeats} of ${hosts})\n${s.stdout.slice(-3000)}\n${s.stderr.slice(-1000)}`)
  }
}
