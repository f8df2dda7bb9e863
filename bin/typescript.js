import { join } from 'node:path'

// tsx, registered to load TypeScript (labplay's sources when there is no bundle, or a role that does not
// bundle) with the install's own tsconfig, never one found above the working directory (its `paths`
// could point imports anywhere), and without tsx's disk cache: that lives in a shared temporary folder
// (/tmp/tsx-<uid>) which another local user can create first and fill with transpiled code.
export async function registerTypeScript(root) {
  const before = process.env.TSX_DISABLE_CACHE
  process.env.TSX_DISABLE_CACHE = '1'
  try {
    const { register } = await import('tsx/esm/api')
    register({ tsconfig: join(root, 'tsconfig.json') })
  } finally {
    if (before === undefined) delete process.env.TSX_DISABLE_CACHE
    else process.env.TSX_DISABLE_CACHE = before
  }
}
