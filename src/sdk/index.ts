// What a role imports: `import { defineRole } from 'labplay'`.
export { defineRole } from './role.ts'
export type { HostTask, PlayTask, RoleDefinition, Task } from './role.ts'
export type { ExecCall, Host, Play } from './host.ts'
export type { Facts, NetInterface } from './facts.types.ts'
export type { Outcome } from './primitives/types.ts'
export type { Vars } from '../vars.ts'
export { quote } from './quote.ts'
export { compareVersions } from './facts.ts'
