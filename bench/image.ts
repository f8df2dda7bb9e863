import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { run } from '../test/lab/run.ts'
import { expectOk, timed, type Sample } from './measure.ts'
import { runLabplay } from './labplay.ts'
import { openRoom, type Room } from './room.ts'

// Every lab link at a campus LAN's 100 Mbit/s: both ends of each seat's veth, and br0's own egress,
// which is the controller's (the image source's) link to the room.
export const LINK_MBIT = 100
const TBF = ['root', 'tbf', 'rate', `${LINK_MBIT}mbit`, 'burst', '64kb', 'latency', '50ms']

// Time per N for multicast (labplay's udpcast role) and for unicast (parallel scp), and the limit they are held to.
export interface ImageResult {
  hosts: number
  bytes: number
  limitS: number
  samples: Map<string, Sample[]>
  // labplay's play-scoped task alone (rendezvous, multicast, verification on the seats), from --json.
  multicastTaskS: number[]
}

interface JsonTasks { hosts: Array<{ tasks: Array<{ role?: string; task: string; durationMs: number }> }> }

// The longest duration of the udpcast role's play-scoped task in a --json summary.
function onceTaskS(file: string): number {
  const summary = JSON.parse(readFileSync(file, 'utf8')) as JsonTasks
  const ms = summary.hosts.flatMap((h) => h.tasks).filter((t) => t.role === 'udpcast' && t.task.startsWith('every host')).map((t) => t.durationMs)
  return Math.max(0, ...ms) / 1000
}

async function must(file: string, args: string[]): Promise<void> {
  const r = await run(file, args, { timeoutMs: 30_000 })
  if (r.code !== 0) throw new Error(`${file} ${args.join(' ')}: exit ${r.code} ${r.stderr}`)
}

// tc lives in the lab's namespaces, so it goes with them when the lab is destroyed.
async function capLinks(room: Room): Promise<void> {
  const { lab } = room
  await must('ip', ['netns', 'exec', lab.controllerNs, 'tc', 'qdisc', 'add', 'dev', 'br0', ...TBF])
  await Promise.all(lab.hosts.map(async (h, i) => {
    await must('ip', ['netns', 'exec', lab.controllerNs, 'tc', 'qdisc', 'add', 'dev', `v${i + 1}`, ...TBF])
    await must('ip', ['netns', 'exec', h.ns, 'tc', 'qdisc', 'add', 'dev', 'eth0', ...TBF])
  }))
}

// Parallel scp of the same file to every seat, straight to the place udpcast writes (its .part name).
const SCP = String.raw`key=$1 kh=$2 src=$3 dst=$4; shift 4
for a in "$@"; do
  scp -q -i "$key" -o BatchMode=yes -o UserKnownHostsFile="$kh" -o StrictHostKeyChecking=yes -o ConnectTimeout=10 \
    "$src" root@"$a":"$dst" &
done
bad=0
for job in $(jobs -p); do wait "$job" || bad=$((bad+1)); done
exit $bad`

// So that every round transfers: the image, its partial file and its stamps go from every seat.
async function removeImage(room: Room, final: string): Promise<void> {
  const dir = final.slice(0, final.lastIndexOf('/'))
  const base = final.slice(final.lastIndexOf('/') + 1)
  await Promise.all(room.lab.hosts.map(async (h) => {
    const r = await room.lab.exec(h.name, `mkdir -p ${dir} && chmod u+w ${dir} && rm -f ${final} ${final}.part ${dir}/.${base}.sha256 ${dir}/.${base}.checked`)
    if (r.code !== 0) throw new Error(`removing the image from ${h.name}: ${r.stderr}`)
  }))
}

async function sizesOk(room: Room, path: string, bytes: number): Promise<string | undefined> {
  const sizes = await Promise.all(room.lab.hosts.map((h) => room.lab.exec(h.name, `stat -c %s ${path}`)))
  const wrong = sizes.filter((r) => Number(r.stdout.trim()) !== bytes).length
  return wrong ? `${wrong} seats lack the full file` : undefined
}

// One room per N; rounds alternate udpcast and scp, each starting from seats without the image.
export async function benchImage(n: number, opts: { rounds: number; imageMb: number; bitrate: string; tools: Array<'udpcast' | 'scp'>; log: (l: string) => void }): Promise<ImageResult> {
  const room = await openRoom(n, 'site', opts.imageMb)
  try {
    await capLinks(room)
    const m = room.manifest!
    const final = `/srv/labplay/images/${m.name}-${m.version}.qcow2`
    const bytes = statSync(m.source).size
    const samples = new Map<string, Sample[]>()
    if (opts.tools.includes('udpcast')) samples.set('labplay udpcast', [])
    if (opts.tools.includes('scp')) samples.set('parallel scp', [])
    const multicastTaskS: number[] = []
    const scpArgv = ['bash', '-c', SCP, 'scp', room.lab.privateKey, room.lab.knownHosts, m.source, `${final}.part`, ...room.lab.hosts.map((h) => h.address)]
    for (let round = 1; round <= opts.rounds; round++) {
      if (opts.tools.includes('udpcast')) await udpcastRound(round)
      if (opts.tools.includes('scp')) await scpRound(round)
    }
    return { hosts: n, bytes, limitS: (bytes * 8) / (LINK_MBIT * 1e6), samples, multicastTaskS }

    async function udpcastRound(round: number): Promise<void> {
      await removeImage(room, final)
      const json = join(room.dir, `udpcast-${round}.json`)
      const multicast = await runLabplay(room, ['-t', 'udpcast', '-e', `udpcast_max_bitrate=${opts.bitrate}`, '--json', json])
      expectOk(`image N=${n} udpcast round ${round}`, multicast, () => undefined)
      multicastTaskS.push(onceTaskS(json))
      const check = await sizesOk(room, final, bytes)
      if (check) throw new Error(`udpcast N=${n}: ${check}\n${multicast.stdout.slice(-2000)}`)
      samples.get('labplay udpcast')!.push(multicast)
      opts.log(`image N=${n} round ${round}/${opts.rounds} labplay udpcast: ${multicast.wallS.toFixed(2)} s`)
    }

    async function scpRound(round: number): Promise<void> {
      await removeImage(room, final)
      const unicast = await timed(room.lab.controllerNs, scpArgv, { timeoutMs: 3_600_000 })
      expectOk(`image N=${n} scp round ${round}`, unicast, () => undefined)
      const scpCheck = await sizesOk(room, `${final}.part`, bytes)
      if (scpCheck) throw new Error(`scp N=${n}: ${scpCheck}`)
      samples.get('parallel scp')!.push(unicast)
      opts.log(`image N=${n} round ${round}/${opts.rounds} parallel scp: ${unicast.wallS.toFixed(2)} s`)
    }
  } finally {
    await room.close()
  }
}
