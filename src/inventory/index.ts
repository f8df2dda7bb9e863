// The inventory as the engine and CLI see it: load the -i sources, merge a host's vars, pick hosts.
export { loadInventory } from './sources.ts'
export { groupsVar, hostVars, hostVarsWithPlaces } from './host-vars.ts'
export { applyLimit, selectHosts } from './patterns.ts'
export type { Inventory, InventoryGroup, InventoryHost, Places, VarsDir, VarsEntry } from './types.ts'
