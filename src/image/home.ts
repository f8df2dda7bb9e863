import { stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { InputError, type Place } from '../errors.ts'
import { hostVarsWithPlaces, selectHosts, type Inventory } from '../inventory/index.ts'
import { varsEntryPath } from '../inventory/vars-dirs.ts'
import { checkManifest, type ImageManifest } from '../sdk/manifest.ts'
import { historyPath } from './history.ts'

// Where a group's image manifest lives in an inventory: the group_vars file that defines `image` for the group
// (the last one in merge order, when its folder has several), else the group's only file (`group_vars/all.yml`),
// else `group_vars/<group>/image.yml` (the folder is made). The history sits in group_vars/ beside them.
export interface ImageHome {
  group: string
  groupVarsDir: string
  // Absolute; it may not exist yet.
  file: string
  historyFile: string
  // The group's manifest as the inventory has it now (undefined: none, or not a valid one).
  current?: ImageManifest
  // The group's hosts, in inventory order.
  hosts: string[]
}

// One inventory source (a file or a folder: where group_vars/ is) and a group it knows.
export async function imageHome(inv: Inventory, group: string, cwd: string): Promise<ImageHome> {
  const dirs = inv.varsDirs.inventory
  if (dirs.length !== 1) throw new InputError(`expected one inventory file or folder (-i), got ${dirs.length}: the manifest is written into its group_vars/`)
  if (!inv.groups.has(group)) {
    const known = [...inv.groups.keys()].filter((g) => g !== 'ungrouped')
    throw new InputError(`group '${group}' is not in the inventory (groups: ${known.slice(0, 12).join(', ')}${known.length > 12 ? ', …' : ''})`)
  }
  const groupVarsDir = join(dirs[0]!.dir, 'group_vars')
  const entry = dirs[0]!.groups.get(group)
  const defined = entry?.places.image
  return {
    group,
    groupVarsDir,
    file: defined ? resolve(cwd, defined.file) : await defaultFile(groupVarsDir, group),
    historyFile: historyPath(groupVarsDir, group),
    current: checkManifest(entry?.vars.image).manifest,
    hosts: selectHosts(inv, group),
  }
}

async function defaultFile(groupVarsDir: string, group: string): Promise<string> {
  const entry = await varsEntryPath(groupVarsDir, group)
  if (entry === undefined) return join(groupVarsDir, group, 'image.yml')
  return (await stat(entry)).isDirectory() ? join(entry, 'image.yml') : entry
}

// Hosts of the group that take `image` from somewhere else than `file` (a child group's group_vars, host_vars,
// the inventory's own vars), with where: they will not get what was written there.
export function shadowedHosts(inv: Inventory, home: ImageHome, cwd: string): Array<{ host: string; place: Place }> {
  const out: Array<{ host: string; place: Place }> = []
  for (const host of home.hosts) {
    const place = hostVarsWithPlaces(inv, host).places.image
    if (place && resolve(cwd, place.file) !== home.file) out.push({ host, place })
  }
  return out
}
