import { join } from 'node:path'
import { createLab } from '../test/lab/lab.ts'
import { ROOT } from '../test/helpers/labplay.ts'
import { primeKnownHosts } from './room.ts'

// Why a rerun costs ~50 ms a probe: one seat, one connection, the same probe (stat + sha256 of a file)
// as a new exec channel each time (what labplay does per probe), 8 channels at once, or written to one
// long-lived remote bash; medians over `rounds` runs of `count` probes each.
export async function benchRoundTrip(rounds: number, count = 40): Promise<Array<[string, number[]]>> {
  const lab = await createLab({ hosts: 1, prefix: 'rt' })
  try {
    await primeKnownHosts(lab)
    const h = lab.hosts[0]!
    const all = new Map<string, number[]>()
    for (let r = 0; r < rounds; r++) {
      const out = await lab.controller(['node', '--import', 'tsx', join(ROOT, 'bench/roundtrip-probe.ts'), h.address, lab.privateKey, lab.knownHosts, String(count)],
        { cwd: ROOT, timeoutMs: 120_000 })
      if (out.code !== 0) throw new Error(`roundtrip probe: exit ${out.code}\n${out.stderr}`)
      for (const [label, ms] of JSON.parse(out.stdout.trim().split('\n').at(-1)!) as Array<[string, number]>) all.set(label, [...(all.get(label) ?? []), ms])
    }
    return [...all]
  } finally {
    await lab.destroy()
  }
}
