import { InputError } from '../errors.ts'
import { done, type Interrupts } from './image/common.ts'

// `labplay image COMMAND …`: the Windows image's life, from master disk to room. Each command is a module with
// its own options, loaded on demand.
const COMMANDS: Record<string, () => Promise<{ main(argv: string[], run: Interrupts): Promise<number> }>> = {
  new: () => import('./image/new.ts'),
  edit: () => import('./image/edit.ts'),
  publish: () => import('./image/publish.ts'),
  list: () => import('./image/list.ts'),
  rollback: () => import('./image/rollback.ts'),
}

export const IMAGE_USAGE = `usage: labplay image new|edit|publish|list|rollback …

The Windows image, from master disk to room:
  labplay image new NAME --size 60G [--dir D]           an empty master disk (qcow2), or --from a copy
  labplay image edit NAME|FILE [--iso ISO] [--vnc]      boot it read-write under QEMU: install, configure, shut down
  labplay image publish FILE --name N --version V       check and hash it, make it the group's image manifest
  labplay site.yml --stale                              send it to the seats that lack it
  labplay image list [-l PATTERN] [--json]              published versions, and the seats that hold them
  labplay image rollback [--to VERSION]                 make an earlier version the image again

\`labplay image COMMAND --help\` tells one.
`

// `labplay image …` → exit code.
export async function main(argv: string[], run: Interrupts): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '-h' || name === '--help') return done(IMAGE_USAGE)
  const command = COMMANDS[name]
  if (!command) throw new InputError(`image: unknown command '${name}': expected ${Object.keys(COMMANDS).join(', ')} (see labplay image --help)`)
  return (await command()).main(rest, run)
}
