import { execFile } from 'node:child_process'
import { InputError } from '../errors.ts'
import { addChild, addGroup, addHost, checkConnectionVar, setGroupVar, setHostVars } from './model.ts'
import type { Inventory } from './types.ts'

// An inventory script may take this long and print this much in all (every --host call counted).
export const SCRIPT_TIMEOUT_MS = 60_000
export const SCRIPT_MAX_BYTES = 64 * 1024 * 1024

// Ansible's script inventory: `SCRIPT --list` prints JSON groups ({hosts, vars, children}, or a list of
// hosts) and `_meta.hostvars`; without `_meta`, `SCRIPT --host H` is asked for each host. Runs from the
// current folder; every failure names the script.
export async function readInventoryScript(path: string, file: string, inv: Inventory, cwd: string): Promise<void> {
  const deadline = Date.now() + SCRIPT_TIMEOUT_MS
  const budget = { bytes: SCRIPT_MAX_BYTES }
  const list = object(parse(await run(path, ['--list'], file, cwd, deadline, budget), `${file} --list`), `${file} --list`)
  const meta = list._meta
  const hostvars = meta !== undefined && typeof meta === 'object' && meta !== null ? (meta as Record<string, unknown>).hostvars : undefined
  const seen: string[] = []
  for (const [name, value] of Object.entries(list)) {
    if (name === '_meta') continue
    const group = addGroup(inv, name)
    const spec = Array.isArray(value) ? { hosts: value } : object(value, `${file} --list: group "${name}"`)
    for (const host of names(spec.hosts, `${file} --list: hosts of group "${name}"`)) {
      addHost(inv, host, name)
      if (!seen.includes(host)) seen.push(host)
    }
    for (const child of names(spec.children, `${file} --list: children of group "${name}"`)) {
      addGroup(inv, child)
      addChild(inv, name, child, { file })
    }
    if (spec.vars !== undefined) {
      for (const [key, v] of Object.entries(object(spec.vars, `${file} --list: vars of group "${name}"`))) setGroupVar(group, key, v, { file })
    }
  }
  for (const host of seen) {
    const vars = hostvars !== undefined
      ? (hostvars as Record<string, unknown>)[host] ?? {}
      : parse(await run(path, ['--host', host], file, cwd, deadline, budget), `${file} --host ${host}`)
    const own = object(vars, `${file}: variables of host "${host}"`)
    for (const [key, v] of Object.entries(own)) checkConnectionVar(`host ${host}`, key, v, { file })
    setHostVars(inv.hosts.get(host)!, own, Object.fromEntries(Object.keys(own).map((k) => [k, { file }])))
  }
}

function run(path: string, args: string[], file: string, cwd: string, deadline: number, budget: { bytes: number }): Promise<string> {
  const what = `inventory script ${file} ${args.join(' ')}`
  const timeout = deadline - Date.now()
  if (timeout <= 0) return Promise.reject(new InputError(`${what}: the script took more than ${SCRIPT_TIMEOUT_MS / 1000}s in all`))
  return new Promise((resolve, reject) => {
    execFile(path, args, { cwd, timeout, maxBuffer: budget.bytes, encoding: 'utf8', killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      budget.bytes -= Buffer.byteLength(stdout)
      if (!err) return resolve(stdout)
      const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: number | string }
      const why = e.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER' ? `printed more than ${SCRIPT_MAX_BYTES / 1024 / 1024} MiB`
        : e.killed ? `did not finish within ${SCRIPT_TIMEOUT_MS / 1000}s`
        : typeof e.code === 'number' ? `exited with ${e.code}${firstLine(stderr)}`
        : `cannot be run (${e.code ?? e.message})`
      reject(new InputError(`${what}: ${why}`))
    })
  })
}

function parse(text: string, what: string): unknown {
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new InputError(`${what}: expected JSON, got ${JSON.stringify(text.trim().slice(0, 60))} (${(err as Error).message})`)
  }
}

function object(value: unknown, what: string): Record<string, unknown> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>
  throw new InputError(`${what}: expected a JSON object, got ${Array.isArray(value) ? 'a list' : JSON.stringify(value)}`)
}

function names(value: unknown, what: string): string[] {
  if (value === undefined || value === null) return []
  if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number')) return value.map(String)
  throw new InputError(`${what}: expected a list of names`)
}

function firstLine(stderr: string): string {
  const line = stderr.trim().split('\n')[0]?.slice(0, 200)
  return line ? `: ${line}` : ''
}
