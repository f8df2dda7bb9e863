import test from 'ava'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

// Shared by the inventory-*.test.ts files that load an inventory the way an admin keeps one: as files.

const made: string[] = []
test.after.always(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })))

// A temporary folder holding these files (a path may name subfolders: group_vars/m5.yml, inv/more/extra),
// removed when the test file ends; returns the folder, to load the inventory from.
export function inventoryFiles(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'labplay-inventory-'))
  made.push(dir)
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true })
    writeFileSync(join(dir, path), text)
  }
  return dir
}
