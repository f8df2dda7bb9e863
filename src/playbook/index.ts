// The playbook layer: what the engine and the CLI may use.
export type { Play, RoleCatalog, RoleRef, VarPlaces, When } from './types.ts'
export { loadPlaybook } from './load.ts'
export { compileWhen, WhenError } from './when.ts'
export { render } from './template.ts'
export { LazyVars, Later, type LazyOptions, type PlaceOf, type VarLayer } from './lazy-vars.ts'
export { LazyRecord } from './lazy-record.ts'
export { parseExtraVars } from './extra-vars.ts'
export { mergeVars } from './merge.ts'
