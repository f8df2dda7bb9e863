#!/usr/bin/env node
// Runs the CLI from a cached bundle of src/ (see bundle.js); without one (read-only install) from the
// TypeScript sources through tsx. Roles are TypeScript either way and are loaded through tsx.
import { dirname, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { bundle } from './bundle.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const entry = await bundle(root).catch(() => undefined)
if (entry) {
  await import(pathToFileURL(entry).href)
} else {
  const { register } = await import('tsx/esm/api')
  register()
  await import('../src/cli.ts')
}
