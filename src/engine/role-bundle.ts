import { createHash } from 'node:crypto'
import { realpathSync, renameSync, rmSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { cacheRoot, contentHash, privateFolder, trustedFile } from '../../bin/cache.js'
import { CACHE_KEY, ROOT } from '../root.ts'

// Files of a role's folder that esbuild may bundle: their contents key the role's bundle.
const CODE = /\.(?:[cm]?[jt]s|json)$/

// A role as one cached ES module (its files and the SDK it imports, bundled by esbuild), so labplay's
// start-up bundle loads roles without starting tsx's loader thread: ~250 ms of every run
// (BENCHMARKS.md, start-up profile). Keyed by the start-up bundle's key (this install and its sources),
// the role's real path and the contents of its folder's code; kept in the install's private cache.
// Resolves undefined when the role cannot be bundled (a syntax error, an import esbuild cannot follow,
// an import from outside its folder and src/): the caller then loads it through tsx, whose error
// messages name the problem.
export async function bundledRole(file: string): Promise<string | undefined> {
  const cache = join(cacheRoot(ROOT), 'roles')
  if (!CACHE_KEY || !privateFolder(cache)) return undefined
  let tmp: string | undefined
  try {
    const real = realpathSync(file)
    const folder = dirname(real)
    const code = contentHash(folder, [folder], (name) => CODE.test(name))
    const out = join(cache, `${createHash('sha256').update(`${CACHE_KEY}\0${real}\0${code}`).digest('hex').slice(0, 32)}.mjs`)
    if (trustedFile(out)) return out
    rmSync(out, { force: true })
    tmp = `${out}.tmp-${process.pid}.mjs`
    const { build } = await import('esbuild')
    const { metafile } = await build({
      absWorkingDir: '/',
      entryPoints: [real],
      outfile: tmp,
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      // npm packages (zx…) stay imports, resolved from labplay's node_modules; the SDK is bundled in.
      packages: 'external',
      metafile: true,
      plugins: [{
        name: 'labplay-role',
        setup(b) {
          b.onResolve({ filter: /^labplay$/ }, () => ({ path: join(ROOT, 'src', 'sdk', 'index.ts') }))
          // Each module keeps its own location (a role reads files shipped beside it through import.meta.url).
          b.onLoad({ filter: /\.[cm]?ts$/ }, async (args) => ({
            contents: (await readFile(args.path, 'utf8'))
              .replace(/\bimport\.meta\.url\b/g, JSON.stringify(pathToFileURL(args.path).href))
              .replace(/\bimport\.meta\.dirname\b/g, JSON.stringify(dirname(args.path)))
              .replace(/\bimport\.meta\.filename\b/g, JSON.stringify(args.path)),
            loader: 'ts',
          }))
        },
      }],
      logLevel: 'silent',
    })
    const covered = (path: string) => path.startsWith(join(ROOT, 'src') + '/') || (path.startsWith(`${folder}/`) && CODE.test(path))
    if (!Object.keys(metafile.inputs).every((input) => covered(`/${input}`))) throw new Error('the role imports code its cache key does not cover')
    renameSync(tmp, out)
    return trustedFile(out) ? out : undefined
  } catch {
    if (tmp) rmSync(tmp, { force: true })
    return undefined
  }
}
