import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { FACTS_SCRIPT } from '../src/sdk/facts.ts'
import { timed, type Sample } from './measure.ts'
import type { Room } from './room.ts'

const DONE = 'floor-probe-done'

// The bare-SSH floor: one OpenSSH connection per seat, all at once, each running every probe of the
// playbook's rerun as a single script. Nothing a runner does can be cheaper than this over SSH.
const FANOUT = String.raw`key=$1 kh=$2 probe=$3 out=$4 kex=$5; shift 5
for a in "$@"; do
  ssh -i "$key" $kex -o BatchMode=yes -o UserKnownHostsFile="$kh" -o StrictHostKeyChecking=yes -o ConnectTimeout=10 \
    -o ControlMaster=no -o ControlPath=none root@"$a" 'bash -s' <"$probe" >"$out/$a" 2>&1 &
done
wait
bad=0
for a in "$@"; do [ "$(tail -n1 "$out/$a")" = ${DONE} ] || { echo "$a: $(tail -n3 "$out/$a")"; bad=$((bad+1)); }; done
exit $bad
`

// `labplay-kex`: the key exchange labplay's ssh2 negotiates (curve25519-sha256), so the floor differs from
// labplay only in what runs over the connection; `openssh-default`: OpenSSH 9's sntrup761x25519, as Ansible uses.
export type Kex = 'labplay-kex' | 'openssh-default'

// Writes the probe (labplay's own facts script, then the playbook's reads) and the fan-out into the room's folder.
export function prepareFloor(room: Room, benchDir: string, kex: Kex): string[] {
  const probe = join(room.dir, 'probe.sh')
  const reads = readFileSync(join(benchDir, 'floor', `${room.playbook}.sh`), 'utf8')
  const vars = room.manifest ? `img=/srv/labplay/images/${room.manifest.name}-${room.manifest.version}.qcow2\n` : ''
  writeFileSync(probe, `${FACTS_SCRIPT}\n${vars}${reads}\necho ${DONE}\n`)
  const fanout = join(room.dir, 'fanout.sh')
  writeFileSync(fanout, FANOUT)
  const out = join(room.dir, `floor-out-${kex}`)
  const kexOption = kex === 'labplay-kex' ? '-oKexAlgorithms=curve25519-sha256' : ''
  return ['bash', '-c', `mkdir -p ${out} && exec bash ${fanout} "$@"`, 'floor', room.lab.privateKey, room.lab.knownHosts, probe, out, kexOption,
    ...room.lab.hosts.map((h) => h.address)]
}

// One round of the floor; a seat that did not answer every probe makes the round an error.
export async function runFloor(room: Room, argv: string[]): Promise<Sample> {
  return timed(room.lab.controllerNs, argv, { timeoutMs: 120_000 })
}
