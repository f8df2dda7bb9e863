// Types of cache.js, for the sources that import it.
export function cacheRoot(root: string): string
export function trustedFile(path: string): boolean
export function trustedFolder(dir: string): boolean
export function privateFolder(dir: string): boolean
export function contentHash(base: string, folders: string[], keep?: (name: string) => boolean): string
