#!/usr/bin/env node
// Loads the TypeScript sources (and the TypeScript roles) through tsx, then hands over to the CLI.
import { register } from 'tsx/esm/api'

register()
await import('../src/cli.ts')
