import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { BIN } from '../test/helpers/labplay.ts'
import { expectOk, spread, timed } from './measure.ts'
import { runLabplay } from './labplay.ts'
import { summarizeProfileDir, type ProfileSummary } from './profile.ts'
import { openRoom, type PlaybookName } from './room.ts'

// Where one labplay rerun spends its time: before the engine starts (start-up), per task (from --json),
// and per function on the main thread (--cpu-prof).
export interface RunProfile {
  hosts: number
  wallS: number
  engineMs: number
  tasks: Array<{ task: string; medianMs: number; maxMs: number }>
  cpu: ProfileSummary
}

interface JsonSummary { durationMs: number; hosts: Array<{ tasks: Array<{ role?: string; task: string; durationMs: number }> }> }

// One configured room, one rerun under --cpu-prof and --json: evidence for the report, not a timing.
export async function profileRerun(n: number, playbook: PlaybookName, imageMb: number): Promise<RunProfile> {
  const room = await openRoom(n, playbook, imageMb)
  try {
    expectOk('labplay (configuring the room)', await runLabplay(room), () => undefined)
    const prof = join(room.dir, 'cpu-prof')
    mkdirSync(prof)
    const json = join(room.dir, 'summary.json')
    const argv = ['node', '--cpu-prof', `--cpu-prof-dir=${prof}`, BIN, ...room.labplayArgs, '--json', json]
    const s = await timed(room.lab.controllerNs, argv, { env: { ...process.env, NO_COLOR: '1', LABPLAY_RECORDS: join(room.dir, 'runs.db') }, cwd: room.dir })
    expectOk('labplay --cpu-prof rerun', s, () => undefined)
    const summary = JSON.parse(readFileSync(json, 'utf8')) as JsonSummary
    const byTask = new Map<string, number[]>()
    for (const h of summary.hosts) {
      for (const t of h.tasks) {
        const key = `${t.role ? `${t.role} : ` : ''}${t.task}`
        byTask.set(key, [...(byTask.get(key) ?? []), t.durationMs])
      }
    }
    const tasks = [...byTask].map(([task, ms]) => ({ task, medianMs: spread(ms).median, maxMs: spread(ms).max }))
    return { hosts: n, wallS: s.wallS, engineMs: summary.durationMs, tasks, cpu: summarizeProfileDir(prof) }
  } finally {
    await room.close()
  }
}
