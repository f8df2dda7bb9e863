import type { ExecutionContext } from 'ava'
import type { Lab } from '../lab/lab.ts'
import type { Ran } from './labplay.ts'

// The command printing a digest of every path below `dirs` (type, mode, owners, size, mtime in ns, link target):
// any write, chmod or chown there changes it.
export function fingerprint(dirs: string[]): string {
  return `find ${dirs.join(' ')} -xdev -printf '%p %y %m %U %G %s %T@ %l\\n' 2>/dev/null | sort | sha256sum`
}

// Check mode on fresh hosts: `run` (a -C run) succeeds, reports changes on each of `hosts`, and what `state`
// prints on them (a fingerprint, say) is the same after it as before.
export async function reportsButChangesNothing(t: ExecutionContext, lab: Lab, hosts: string[], state: string, run: () => Promise<Ran>): Promise<Ran> {
  const before = await Promise.all(hosts.map((h) => lab.must(h, state)))
  const ran = await run()
  t.is(ran.code, 0, ran.stdout + ran.stderr)
  for (const h of hosts) t.true(ran.recap.get(h)!.changed > 0, `${h} reports would-change: ${ran.stdout}`)
  t.deepEqual(await Promise.all(hosts.map((h) => lab.must(h, state))), before)
  return ran
}
