import { join } from 'node:path'
import { parseRecap } from '../test/helpers/labplay.ts'
import { timed, type Sample } from './measure.ts'
import { labplayArgv, type Room } from './room.ts'

// One labplay run as an admin types it (piped, so plain output, no colours), from the controller namespace.
export function runLabplay(room: Room, extra: string[] = []): Promise<Sample> {
  return timed(room.lab.controllerNs, labplayArgv(room, extra), { env: { ...process.env, NO_COLOR: '1', LABPLAY_RECORDS: join(room.dir, 'runs.db') }, cwd: room.dir })
}

// changed= of every seat in labplay's PLAY RECAP (its layout is Ansible's).
export function labplayChanged(stdout: string): number[] {
  return [...parseRecap(stdout).values()].map((c) => c.changed)
}
