import type { Vars } from '../vars.ts'
import { define } from './record.ts'

// Precedence layers, lowest first: a later layer replaces a whole top-level variable (Ansible's hash_behaviour=replace).
export function mergeVars(...layers: Vars[]): Vars {
  const merged: Vars = {}
  for (const layer of layers) for (const [key, value] of Object.entries(layer)) define(merged, key, value)
  return merged
}
