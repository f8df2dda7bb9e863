import { InputError } from '../errors.ts'
import type { Keyring } from '../vault/keyring.ts'
import type { Play, RoleCatalog } from './types.ts'
import { validatePlay } from './validate-play.ts'
import { deref, items } from './yaml-nodes.ts'
import { placeOf, readYaml } from './yaml.ts'

// Reads and validates a whole playbook before any host is contacted; every problem is an InputError at file:line:col.
// `vault`: the run's vault passwords (encrypted vars_files, `!vault` values).
export async function loadPlaybook(file: string, catalog: RoleCatalog, vault?: Keyring): Promise<Play[]> {
  const yaml = readYaml(file, 'playbook', undefined, { vault })
  const root = yaml.doc.contents
  if (deref(yaml, root) === null) throw new InputError('playbook is empty, expected a list of plays', { file: yaml.file, line: 1, col: 1 })
  const plays = items(yaml, root, "a list of plays (each '- hosts: …')").map((node) => validatePlay(yaml, node, catalog, vault))
  if (plays.length === 0) throw new InputError('playbook has no plays, expected a list of plays', placeOf(yaml, root))
  return plays
}
