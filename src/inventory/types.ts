import type { Place } from '../errors.ts'
import type { Vars } from '../vars.ts'

// Where each variable of a set was written, so an error about its value can point at it.
export type Places = Record<string, Place>

// A host as the inventory declares it; `vars` are its own inline ones (host_vars/ files: VarsDir), not merged.
export interface InventoryHost {
  name: string
  vars: Vars
  places: Places
  // Groups that list the host directly, in the order the inventory names them.
  groups: string[]
  // The first source that declared it (an absolute path, or a host list as given): inventory_file.
  source?: string
}

// A group; `all` and `ungrouped` always exist, as in Ansible.
export interface InventoryGroup {
  name: string
  vars: Vars
  places: Places
  hosts: string[]
  children: string[]
  parents: string[]
  // ansible_group_priority: orders groups of equal depth when their vars merge (default 1).
  priority?: number
}

// The variables of one group_vars/ or host_vars/ entry (a file, or a folder's files merged).
export interface VarsEntry {
  vars: Vars
  places: Places
}

// group_vars/ and host_vars/ of one folder: beside an inventory source, or beside the playbook.
export interface VarsDir {
  dir: string
  groups: Map<string, VarsEntry>
  hosts: Map<string, VarsEntry>
}

// Maps keep Ansible's insertion order, which decides the order of hosts in every listing.
// Vars folders are kept in source order: Ansible merges them folder by folder, inventory before playbook.
export interface Inventory {
  hosts: Map<string, InventoryHost>
  groups: Map<string, InventoryGroup>
  varsDirs: { inventory: VarsDir[]; playbook: VarsDir[] }
}
