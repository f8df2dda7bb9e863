import { SECRET_NAME, type Vars } from '../vars.ts'

// h.vars as a role sees it: the same data, but reading a secret-named variable (at any depth, or all of
// them at once by spreading or serialising) calls onRead, so the engine knows the task may have written
// the secret into a file, and hides that task's diffs.
export function watchSecretReads(vars: Vars, onRead: () => void): Vars {
  const proxies = new WeakMap<object, object>()
  const watch = <T extends object>(target: T): T => {
    let proxy = proxies.get(target) as T | undefined
    if (!proxy) {
      proxy = new Proxy(target, {
        get(obj, key, receiver) {
          if (typeof key === 'string' && SECRET_NAME.test(key) && Object.hasOwn(obj, key)) onRead()
          const value: unknown = Reflect.get(obj, key, receiver)
          // A frozen property must come back as itself (a proxy's invariant): shared frozen values are read unwatched.
          const fixed = Reflect.getOwnPropertyDescriptor(obj, key)
          if (fixed && !fixed.configurable && fixed.writable === false) return value
          return value && typeof value === 'object' ? watch(value) : value
        },
      })
      proxies.set(target, proxy)
    }
    return proxy
  }
  return watch(vars)
}
