import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'

// A key that changes whenever a source file is added, removed or edited.
function sourceKey(dir) {
  let newest = 0
  let count = 0
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue
    newest = Math.max(newest, statSync(join(entry.parentPath ?? entry.path, entry.name)).mtimeMs)
    count++
  }
  return `${Math.floor(newest)}-${count}`
}

// The CLI as one esbuild bundle (plus lazily loaded chunks), built once per source change and cached in
// node_modules/.cache: start-up then skips transpiling and resolving every TypeScript module of src/.
export async function bundle(root) {
  const src = join(root, 'src')
  const cache = join(root, 'node_modules', '.cache', 'labplay')
  const dir = join(cache, `cli-${sourceKey(src)}`)
  const entry = join(dir, 'cli.js')
  if (existsSync(entry)) return entry
  const { build } = await import('esbuild')
  mkdirSync(cache, { recursive: true })
  const tmp = `${dir}.tmp-${process.pid}`
  await build({
    entryPoints: [join(src, 'cli.ts')],
    outdir: tmp,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    define: { LABPLAY_ROOT: JSON.stringify(root) },
    logLevel: 'silent',
  })
  try {
    renameSync(tmp, dir)
  } catch {
    // Another labplay built the same bundle at the same time: use theirs.
    rmSync(tmp, { recursive: true, force: true })
  }
  return entry
}
