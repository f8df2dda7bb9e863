import type { ExecutionContext } from 'ava'
import type { Lab } from '../lab/lab.ts'
import type { Ran } from './labplay.ts'

// The command printing a digest of every path below `dirs` (type, mode, owners, size, mtime in ns, link target):
// any write, chmod or chown there changes it.
export function fingerprint(dirs: string[]): string {
  return `find ${dirs.join(' ')} -xdev -printf '%p %y %m %U %G %s %T@ %l\\n' 2>/dev/null | sort | sha256sum`
}

// Check mode on fresh hosts: `run` (a -C run) succeeds, reports changes on each of `hosts`, and their state is the
// same after it as before: what the command `state` prints on them (a fingerprint, say), or what `state` reads
// from outside (a seat's disk: seatFingerprint).
export async function reportsButChangesNothing(t: ExecutionContext, lab: Lab, hosts: string[], state: string | ((host: string) => Promise<string>),
  run: () => Promise<Ran>): Promise<Ran> {
  const read = typeof state === 'string' ? (h: string) => lab.must(h, state) : state
  const before = await Promise.all(hosts.map(read))
  const ran = await run()
  t.is(ran.code, 0, ran.stdout + ran.stderr)
  for (const h of hosts) t.true((ran.recap.get(h)?.changed ?? 0) > 0, `${h} reports would-change: ${ran.stdout}`)
  t.deepEqual(await Promise.all(hosts.map(read)), before)
  return ran
}
