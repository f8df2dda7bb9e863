import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

// Set by the start-up bundle (bin/bundle.js), which does not live in src/.
declare const LABPLAY_ROOT: string | undefined
declare const LABPLAY_CACHE_KEY: string | undefined

// True when running from the start-up bundle, where nothing transpiles TypeScript until tsx is registered.
export const BUNDLED: boolean = typeof LABPLAY_ROOT === 'string'

// labplay's own folder (roles/, playbooks/, package.json), wherever the running code was loaded from.
export const ROOT: string = typeof LABPLAY_ROOT === 'string' ? LABPLAY_ROOT : resolve(dirname(fileURLToPath(import.meta.url)), '..')

// The start-up bundle's cache key (the install's real path and its sources' sha256); undefined from the sources.
export const CACHE_KEY: string | undefined = typeof LABPLAY_CACHE_KEY === 'string' ? LABPLAY_CACHE_KEY : undefined
