// What roles (through the host context) and the engine import: the idempotent primitives and their contracts.
export { absent } from './absent.ts'
export { directory, type DirectoryOptions } from './directory.ts'
export { file, type FileOptions } from './file.ts'
export { packages, type PackagesOptions } from './packages.ts'
export { service, type ServiceOptions } from './service.ts'
export { symlink, type SymlinkOptions } from './symlink.ts'
export type { Outcome, PrimitiveIO } from './types.ts'
