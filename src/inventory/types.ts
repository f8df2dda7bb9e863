import type { Vars } from '../vars.ts'

// A host as the inventory declares it; `vars` are its own inline ones (host_vars/ files: fileVars), not merged.
export interface InventoryHost {
  name: string
  vars: Vars
  // Groups that list the host directly, in the order the inventory names them.
  groups: string[]
  // From host_vars/ files; Ansible ranks them above the inventory's inline vars.
  fileVars?: Vars
}

// A group; `all` and `ungrouped` always exist, as in Ansible.
export interface InventoryGroup {
  name: string
  vars: Vars
  hosts: string[]
  children: string[]
  parents: string[]
  // From group_vars/ files; Ansible ranks every such file above every inline group var.
  fileVars?: Vars
  // ansible_group_priority: orders groups of equal depth when their vars merge (default 1).
  priority?: number
}

// Maps keep Ansible's insertion order, which decides the order of hosts in every listing.
export interface Inventory {
  hosts: Map<string, InventoryHost>
  groups: Map<string, InventoryGroup>
}
