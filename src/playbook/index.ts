// The playbook layer: what the engine and the CLI may use.
export type { Play, RoleCatalog, RoleRef, VarPlaces, When } from './types.ts'
export { loadPlaybook } from './load.ts'
export { compileWhen, WhenError } from './when.ts'
export { render } from './template.ts'
export { resolveVars, type PlaceOf } from './resolve.ts'
export { parseExtraVars } from './extra-vars.ts'
export { mergeVars } from './merge.ts'
