import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { ROOT } from '../root.ts'

// A role as one cached ES module (its files and the SDK it imports, bundled by esbuild), so labplay's
// start-up bundle loads roles without starting tsx's loader thread: ~250 ms of every run
// (BENCHMARKS.md, start-up profile). Rebuilt when any .ts file of the role's folder or of src/sdk changes.
// Resolves undefined when the role cannot be bundled (a syntax error, an import esbuild cannot follow):
// the caller then loads it through tsx, whose error messages name the problem.
export async function bundledRole(file: string): Promise<string | undefined> {
  const cache = join(ROOT, 'node_modules', '.cache', 'labplay', 'roles')
  const key = createHash('sha256').update(`${file}\0${sourceKey(dirname(file))}\0${sdkKey()}`).digest('hex').slice(0, 24)
  const out = join(cache, `${key}.mjs`)
  if (existsSync(out)) return out
  try {
    const { build } = await import('esbuild')
    mkdirSync(cache, { recursive: true })
    const tmp = `${out}.tmp-${process.pid}.mjs`
    await build({
      entryPoints: [file],
      outfile: tmp,
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      // npm packages (zx…) stay imports, resolved from labplay's node_modules; the SDK is bundled in.
      packages: 'external',
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
    renameSync(tmp, out)
    return out
  } catch {
    rmSync(`${out}.tmp-${process.pid}.mjs`, { force: true })
    return undefined
  }
}

let sdk: string | undefined
function sdkKey(): string {
  return (sdk ??= sourceKey(join(ROOT, 'src')))
}

// Changes whenever a .ts file under dir is added, removed or edited (as bin/bundle.js keys the CLI).
function sourceKey(dir: string): string {
  let newest = 0
  let count = 0
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue
    newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs)
    count++
  }
  return `${Math.floor(newest)}-${count}`
}
