import { runAnsible, ansibleChanged, type Strategy } from './ansible.ts'
import { prepareFloor, runFloor } from './floor.ts'
import { runLabplay, labplayChanged } from './labplay.ts'
import { expectOk, type Sample } from './measure.ts'
import { readFileSync } from 'node:fs'
import type { LabKind } from '../test/lab/lab.ts'
import { openRoom, readyForAnsible, type PlaybookName, type Room } from './room.ts'

// What every comparison needs to know; one object so the entry point stays a list of steps.
export interface BenchConfig {
  rounds: number
  playbook: PlaybookName
  imageMb: number
  benchDir: string
  strategies: Strategy[]
  freeMaxHosts: number
  // Ansible takes part in the first this-many rounds only (one Ansible round costs minutes at N = 50 on
  // 2 cores); the tables give every tool's own count of rounds.
  ansibleRounds: number
  lab: LabKind
  log: (line: string) => void
}

// Samples per tool, in the order the tables print them.
export type Samples = Map<string, Sample[]>

interface Contender { tool: string; once: () => Promise<Sample>; check: (s: Sample) => string | undefined; rounds?: number }

// The numbers are worth nothing unless every seat was reached and each tool did (or found) the same work.
const allSeats = (n: number, changed: (s: string) => number[], want: 'zero' | 'some') => (s: Sample): string | undefined => {
  const c = changed(s.stdout)
  if (c.length !== n) return `recap lists ${c.length} of ${n} seats`
  if (want === 'zero' && c.some((x) => x !== 0)) return `a rerun changed something: changed=${c.join(',')}`
  if (want === 'some' && c.some((x) => x === 0)) return `a first run changed nothing on some seat: changed=${c.join(',')}`
  return undefined
}

// Rerun on a configured room (changed=0), interleaved A B C A B C … so drift in the machine's load hits every tool alike.
export async function benchRerun(n: number, cfg: BenchConfig): Promise<Samples> {
  const room = await openRoom(n, cfg.playbook, cfg.imageMb, cfg.lab)
  try {
    const floorArgv = prepareFloor(room, cfg.benchDir, 'labplay-kex')
    const floorDefaultArgv = prepareFloor(room, cfg.benchDir, 'openssh-default')
    const setup = await runLabplay(room)
    expectOk('labplay (configuring the room)', setup, allSeats(n, labplayChanged, 'some'))
    if (cfg.strategies.length > 0) await readyForAnsible(room)
    const contenders: Contender[] = [
      { tool: 'labplay', once: () => runLabplay(room), check: allSeats(n, labplayChanged, 'zero') },
      { tool: 'floor', once: () => runFloor(room, floorArgv), check: () => undefined },
      { tool: 'floor-openssh-kex', once: () => runFloor(room, floorDefaultArgv), check: () => undefined },
      ...cfg.strategies.filter((st) => st === 'linear' || n <= cfg.freeMaxHosts).map((st): Contender => ({
        tool: `ansible-${st}`, once: () => runAnsible(room, cfg.benchDir, st), check: allSeats(n, ansibleChanged, 'zero'), rounds: cfg.ansibleRounds,
      })),
    ]
    return await interleave(contenders, cfg, `rerun N=${n}`)
  } finally {
    await room.close()
  }
}

// First run on a fresh room: a new lab for every tool and round (bringing one up costs < 1 s at N = 10).
// Ansible gets the image pre-placed (it has no multicast); labplay's first run includes the udpcast transfer.
export async function benchFirst(n: number, cfg: BenchConfig): Promise<{ samples: Samples; crossCheck: string }> {
  let crossCheck = 'not run'
  const fresh = async (go: (room: Room) => Promise<Sample>, after?: (room: Room) => Promise<void>): Promise<Sample> => {
    const room = await openRoom(n, cfg.playbook, cfg.imageMb, cfg.lab)
    try {
      const s = await go(room)
      if (after) await after(room)
      return s
    } finally {
      await room.close()
    }
  }
  const contenders: Contender[] = [
    { tool: 'labplay', once: () => fresh((room) => runLabplay(room)), check: allSeats(n, labplayChanged, 'some') },
    ...cfg.strategies.slice(0, 1).map((st): Contender => ({
      tool: `ansible-${st}`,
      once: () => fresh(async (room) => {
        await Promise.all([preplaceImage(room), readyForAnsible(room)])
        return runAnsible(room, cfg.benchDir, st)
      }, async (room) => {
        // Same work? labplay right after Ansible's first run should find nothing left to change.
        if (crossCheck !== 'not run') return
        const after = await runLabplay(room)
        crossCheck = `labplay after ansible's first run: exit ${after.code}, changed=${labplayChanged(after.stdout).join(',')}`
      }),
      check: allSeats(n, ansibleChanged, 'some'),
    })),
  ]
  return { samples: await interleave(contenders, cfg, `first N=${n}`), crossCheck }
}

// The image where vm-image wants it, written host-side (not timed): what udpcast would have delivered.
// Its bytes go in on stdin: a seat does not see the machine's files.
async function preplaceImage(room: Room): Promise<void> {
  const m = room.manifest
  if (!m) return
  const target = `/srv/labplay/images/${m.name}-${m.version}.qcow2`
  const bytes = readFileSync(m.source)
  await Promise.all(room.lab.hosts.map(async (h) => {
    const r = await room.lab.exec(h.name, `mkdir -p /srv/labplay/images && cat > ${target}.part && mv ${target}.part ${target}`, { input: bytes, timeoutMs: 120_000 })
    if (r.code !== 0) throw new Error(`pre-placing the image on ${h.name}: ${r.stderr}`)
  }))
}

async function interleave(contenders: Contender[], cfg: BenchConfig, label: string): Promise<Samples> {
  const samples: Samples = new Map(contenders.map((c) => [c.tool, []]))
  for (let round = 1; round <= cfg.rounds; round++) {
    for (const c of contenders) {
      if (c.rounds !== undefined && round > c.rounds) continue
      const s = await c.once()
      expectOk(`${label} ${c.tool} round ${round}`, s, c.check)
      samples.get(c.tool)!.push(s)
      cfg.log(`${label} round ${round}/${cfg.rounds} ${c.tool}: ${s.wallS.toFixed(2)} s, rss ${s.rssMb.toFixed(0)} MB (tree ${s.treeRssMb.toFixed(0)}), cpu ${s.cpuS.toFixed(2)} s`)
    }
  }
  return samples
}
