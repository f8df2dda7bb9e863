import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { InputError } from '../errors.ts'
import { ROOT } from '../root.ts'

// The inventory sources when -i names none: ./inventory. A run needs hosts, so it falls back to labplay's
// own example inventory and else refuses; a reader of the run record (history, show, report) goes on with
// the recorded host names alone.
export function inventorySources(given: string[], cwd: string, use: 'run' | 'read'): string[] {
  if (given.length) return given
  for (const dir of use === 'run' ? [cwd, ROOT] : [cwd]) if (existsSync(join(dir, 'inventory'))) return [join(dir, 'inventory')]
  if (use === 'run') throw new InputError('no inventory: ./inventory does not exist; name one with -i')
  return []
}
