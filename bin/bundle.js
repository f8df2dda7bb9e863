import { createHash } from 'node:crypto'
import { chmodSync, existsSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { cacheRoot, contentHash, privateFolder, trustedFolder } from './cache.js'

// What the CLI bundle is built from: everything esbuild may read for it (checked after each build).
const INPUTS = ['src', 'bin', 'tsconfig.json']

// The CLI as one esbuild bundle (plus lazily loaded chunks), built once per install and content and
// cached in the install's node_modules/.labplay: start-up then skips transpiling and resolving every
// TypeScript module of src/. `root` is the install's real path; it and the sources' sha256 make the
// key, so a copied or moved install builds its own bundle. Undefined when no private cache can be had.
export async function bundle(root) {
  const cache = cacheRoot(root)
  if (!privateFolder(cache)) return undefined
  const key = createHash('sha256').update(`${root}\0${contentHash(root, INPUTS.map((p) => join(root, p)))}`).digest('hex').slice(0, 32)
  const dir = join(cache, `cli-${key}`)
  const entry = join(dir, 'cli.js')
  if (existsSync(entry) && trustedFolder(dir)) return entry
  rmSync(dir, { recursive: true, force: true })
  const { build } = await import('esbuild')
  const tmp = `${dir}.tmp-${process.pid}`
  try {
    const { metafile } = await build({
      absWorkingDir: root,
      entryPoints: [join(root, 'src', 'cli.ts')],
      outdir: tmp,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      define: { LABPLAY_ROOT: JSON.stringify(root), LABPLAY_CACHE_KEY: JSON.stringify(key) },
      metafile: true,
      logLevel: 'silent',
    })
    const outside = Object.keys(metafile.inputs).find((p) => !INPUTS.some((i) => p === i || p.startsWith(`${i}/`)))
    if (outside) throw new Error(`the CLI bundle reads ${outside}, which its cache key does not cover`)
    chmodSync(tmp, 0o700)
    renameSync(tmp, dir)
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true })
    // Another labplay built the same bundle at the same time: use theirs.
    if (!existsSync(entry)) throw err
  }
  return trustedFolder(dir) ? entry : undefined
}
