import { createHash } from 'node:crypto'
import { lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'

// The start-up cache lives inside the install, so the bundles' package imports resolve from the
// install's own node_modules and labplay never loads code from outside its install. Directly in
// node_modules (not node_modules/.cache/labplay, where other tools keep theirs): every folder node
// searches for a package before the install's node_modules is then inside this private one, never
// node_modules/.cache/node_modules, which whoever may write node_modules/.cache could fill.
export function cacheRoot(root) {
  return join(root, 'node_modules', '.labplay')
}

const uid = process.geteuid?.() ?? -1

function ownFolder(stats) {
  return stats.isDirectory() && stats.uid === uid && (stats.mode & 0o077) === 0
}

function ownFile(stats) {
  return stats.isFile() && stats.uid === uid && (stats.mode & 0o022) === 0
}

function lstat(path) {
  try {
    return lstatSync(path)
  } catch {
    return undefined
  }
}

// A cached file is loaded only when the running user made it and nobody else can change it.
export function trustedFile(path) {
  const stats = lstat(path)
  return stats !== undefined && ownFile(stats)
}

// A cached folder (a bundle and its chunks): private to the running user, and so is every file in it.
export function trustedFolder(dir) {
  const stats = lstat(dir)
  if (!stats || !ownFolder(stats)) return false
  return readdirSync(dir).every((name) => trustedFile(join(dir, name)))
}

// Makes `dir` a folder of the running user's own with mode 0700: created when missing, and removed and
// created again when someone else owns it or may write it (its content is then never used). False when
// that cannot be done (a read-only install): the caller runs without the cache.
export function privateFolder(dir) {
  const stats = lstat(dir)
  if (stats && ownFolder(stats)) return true
  try {
    if (stats) rmSync(dir, { recursive: true, force: true })
    mkdirSync(join(dir, '..'), { recursive: true })
    mkdirSync(dir, { mode: 0o700 })
  } catch {
    // Another labplay may have made it at the same moment: it is then ours too.
  }
  const made = lstat(dir)
  return made !== undefined && ownFolder(made)
}

// sha256 over the relative paths and contents of the files under each folder that `keep` accepts:
// the cache key of what a bundle is built from (contents, not mtimes, which `cp -a` and `touch` fake).
export function contentHash(base, folders, keep = () => true) {
  const files = []
  for (const folder of folders) {
    const stats = lstat(folder)
    if (stats?.isFile()) files.push(folder)
    else if (stats?.isDirectory()) {
      for (const entry of readdirSync(folder, { withFileTypes: true, recursive: true })) {
        const path = join(entry.parentPath ?? entry.path, entry.name)
        if (keep(entry.name) && (entry.isFile() || (entry.isSymbolicLink() && statSync(path, { throwIfNoEntry: false })?.isFile()))) files.push(path)
      }
    }
  }
  const hash = createHash('sha256')
  for (const file of files.map((f) => relative(base, f)).sort()) {
    const content = readFileSync(join(base, file))
    hash.update(`${file}\0${content.length}\0`).update(content)
  }
  return hash.digest('hex')
}
