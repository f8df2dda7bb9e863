// Types of typescript.js, for the sources that import it.
export function registerTypeScript(root: string): Promise<void>
