import { parseArgs } from 'node:util'
import type { LabKind } from '../test/lab/lab.ts'
import type { Strategy } from './ansible.ts'
import type { PlaybookName } from './room.ts'

// Which parts run; all of them by default.
export type Part = 'rerun' | 'first' | 'startup' | 'profile' | 'roundtrip' | 'image' | 'hostile'

// Everything the command line decides, validated: a typo must not cost a 30-minute run.
export interface BenchOptions {
  hosts: number[]
  rounds: number
  only: Part[]
  playbook: PlaybookName
  imageMb: number
  imageHosts: number[]
  // Which transfers the image part times: labplay's udpcast role and/or parallel scp (minutes at N = 20).
  imageTools: Array<'udpcast' | 'scp'>
  // Image of the rerun/first-run rooms (site.yml): small, the transfer is measured by --only image.
  roomImageMb: number
  strategies: Strategy[]
  // Ansible's `free` strategy only up to this N (each Ansible round costs minutes at N = 50 on 2 cores).
  freeMaxHosts: number
  // Rerun: Ansible only in the first this-many rounds (default: every round).
  ansibleRounds: number
  // Parts `first` runs at these N only (a fresh lab per tool and round); default: --hosts.
  firstHosts: number[]
  // What the rerun and first-run rooms are: namespace hosts over this machine's system, or bare Debian 12 seats.
  lab: LabKind
  out?: string
}

const PARTS: Part[] = ['rerun', 'first', 'startup', 'profile', 'roundtrip', 'image', 'hostile']

// Printed with any bad option, so the fix is on the screen.
export const USAGE = `npx tsx bench/run.ts [--hosts 10,25,50] [--rounds 5] [--only rerun,first,startup,profile,roundtrip,image,hostile]
  [--playbook site|sample] [--image-mb 200] [--image-hosts 5,10,20] [--image-tools udpcast,scp] [--room-image-mb 8] [--strategies linear,free|none]
  [--free-max-hosts 10] [--ansible-rounds K] [--first-hosts 10] [--lab namespaces|seats] [--out FILE.md]`

// argv → options; throws a one-line error naming the bad option.
export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      hosts: { type: 'string', default: '10,25,50' },
      rounds: { type: 'string', default: '5' },
      only: { type: 'string', default: PARTS.join(',') },
      playbook: { type: 'string', default: 'site' },
      'image-mb': { type: 'string', default: '200' },
      'image-hosts': { type: 'string', default: '5,10,20' },
      'image-tools': { type: 'string', default: 'udpcast,scp' },
      'room-image-mb': { type: 'string', default: '8' },
      strategies: { type: 'string', default: 'linear,free' },
      'free-max-hosts': { type: 'string', default: '200' },
      'ansible-rounds': { type: 'string' },
      'first-hosts': { type: 'string' },
      lab: { type: 'string', default: 'namespaces' },
      out: { type: 'string' },
    },
  })
  const only = list(values.only!, 'only').map((p) => {
    if (!PARTS.includes(p as Part)) throw new Error(`--only: expected some of ${PARTS.join(',')}, got '${p}'`)
    return p as Part
  })
  // `none`: labplay and the floor only (quick checks of labplay's own speed; not for the published tables).
  const strategies = values.strategies === 'none' ? [] : list(values.strategies!, 'strategies').map((s) => {
    if (s !== 'linear' && s !== 'free') throw new Error(`--strategies: expected linear and/or free, got '${s}'`)
    return s
  })
  if (values.playbook !== 'site' && values.playbook !== 'sample') throw new Error(`--playbook: expected site or sample, got '${values.playbook}'`)
  if (values.lab !== 'namespaces' && values.lab !== 'seats') throw new Error(`--lab: expected namespaces or seats, got '${values.lab}'`)
  return {
    hosts: numbers(values.hosts!, 'hosts', 1, 200),
    rounds: numbers(values.rounds!, 'rounds', 1, 50)[0]!,
    only,
    playbook: values.playbook,
    imageMb: numbers(values['image-mb']!, 'image-mb', 1, 4096)[0]!,
    imageHosts: numbers(values['image-hosts']!, 'image-hosts', 1, 200),
    imageTools: list(values['image-tools']!, 'image-tools').map((t) => {
      if (t !== 'udpcast' && t !== 'scp') throw new Error(`--image-tools: expected udpcast and/or scp, got '${t}'`)
      return t
    }),
    roomImageMb: numbers(values['room-image-mb']!, 'room-image-mb', 1, 240)[0]!,
    strategies,
    freeMaxHosts: numbers(values['free-max-hosts']!, 'free-max-hosts', 1, 200)[0]!,
    ansibleRounds: values['ansible-rounds'] === undefined ? Number(values.rounds) : numbers(values['ansible-rounds'], 'ansible-rounds', 1, 50)[0]!,
    firstHosts: values['first-hosts'] === undefined ? numbers(values.hosts!, 'hosts', 1, 200) : numbers(values['first-hosts'], 'first-hosts', 1, 200),
    lab: values.lab === 'seats' ? 'seat' : 'namespace',
    out: values.out,
  }
}

function list(value: string, name: string): string[] {
  const items = value.split(',').map((s) => s.trim()).filter(Boolean)
  if (items.length === 0) throw new Error(`--${name}: expected a comma-separated list`)
  return items
}

function numbers(value: string, name: string, min: number, max: number): number[] {
  return list(value, name).map((s) => {
    const n = Number(s)
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name}: expected whole numbers from ${min} to ${max}, got '${s}'`)
    return n
  })
}
