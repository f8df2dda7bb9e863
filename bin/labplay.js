#!/usr/bin/env node
// Runs the CLI from a cached bundle of src/ (see bundle.js); without one (a read-only install, a cache
// that cannot be made private) from the TypeScript sources through tsx. Everything it loads comes from
// this install: its real path, never the path it was started through or built at.
import { realpathSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { bundle } from './bundle.js'
import { registerTypeScript } from './typescript.js'

const root = realpathSync(resolve(dirname(fileURLToPath(import.meta.url)), '..'))
const entry = await bundle(root).catch(() => undefined)
if (entry) {
  await import(pathToFileURL(entry).href)
} else {
  await registerTypeScript(root)
  await import(pathToFileURL(`${root}/src/cli.ts`).href)
}
