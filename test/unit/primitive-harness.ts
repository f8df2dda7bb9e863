import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ExecResult } from '../../src/connection/types.ts'
import type { Facts } from '../../src/sdk/facts.types.ts'
import type { PrimitiveIO } from '../../src/sdk/primitives/types.ts'

// Shared by the primitive-*.test.ts files: a scripted PrimitiveIO for data tables, a bash-backed one for real runs.

export interface Call {
  kind: 'probe' | 'run'
  command: string
  stdin?: string
}

export type RecordingIO = PrimitiveIO & { calls: Call[]; runs: () => string[] }

export interface IOOptions {
  check?: boolean
  diff?: boolean
  facts?: Partial<Facts>
}

export const FACTS: Facts = {
  hostname: 'm5-01',
  os: { id: 'debian', version: '12', codename: 'bookworm', pretty: 'Debian GNU/Linux 12 (bookworm)' },
  kernel: { running: '6.1.0-13-amd64', installed: ['6.1.0-13-amd64'], newestInstalled: '6.1.0-13-amd64' },
  cpu: { count: 4, model: 'test', vendor: 'GenuineIntel', virtFlags: ['vmx'] },
  memory: { totalMb: 8192 },
  init: 'systemd',
  interfaces: [],
  kvm: { device: true, builtin: false, loadedModules: ['kvm', 'kvm_intel'] },
  user: 'root',
  uid: 0,
  home: '/root',
  arch: 'x86_64',
  defaultRoute: null,
}

type Reply = string | Partial<ExecResult>

function result(reply: Reply): ExecResult {
  return typeof reply === 'string' ? { code: 0, stdout: reply, stderr: '' } : { code: 0, stdout: '', stderr: '', ...reply }
}

// Probes answer from the script in order; runs answer `run` (default: success). Every call is recorded.
export function fakeIO(probes: Reply[], opts: IOOptions & { run?: Reply } = {}): RecordingIO {
  const queue = [...probes]
  return recording(opts, (kind) => {
    if (kind === 'run') return result(opts.run ?? '')
    const next = queue.shift()
    if (next === undefined) throw new Error('unexpected extra probe')
    return result(next)
  })
}

// Runs every command with bash in `cwd` (a temp folder), as a connection would on a host.
export function bashIO(cwd: string, opts: IOOptions & { prefix?: string } = {}): RecordingIO {
  return recording(opts, (_kind, command, stdin) => bash(`${opts.prefix ?? ''}${command}`, stdin, cwd))
}

export function bash(command: string, stdin?: string | Buffer, cwd?: string): ExecResult {
  const r = spawnSync('bash', ['-c', command], { input: stdin ?? '', cwd, encoding: 'utf8' })
  return { code: r.status ?? 128, stdout: r.stdout, stderr: r.stderr }
}

function recording(opts: IOOptions, answer: (kind: Call['kind'], command: string, stdin?: string | Buffer) => ExecResult): RecordingIO {
  const calls: Call[] = []
  const call = async (kind: Call['kind'], command: string, stdin?: string | Buffer): Promise<ExecResult> => {
    calls.push({ kind, command, stdin: stdin === undefined ? undefined : stdin.toString() })
    return answer(kind, command, stdin)
  }
  return {
    probe: (command, stdin) => call('probe', command, stdin),
    run: (command, stdin) => call('run', command, stdin),
    check: opts.check ?? false,
    diff: opts.diff ?? false,
    facts: { ...FACTS, ...opts.facts },
    calls,
    runs: () => calls.filter((c) => c.kind === 'run').map((c) => c.command),
  }
}

// A temp folder for one test, removed afterwards.
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'labplay-prim-'))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

// Values that would be shell syntax if they were ever interpolated unquoted.
export const HOSTILE = [
  'a b',
  `it's "quoted"`,
  '$(touch pwned)',
  '`touch pwned2`',
  'line\nbreak',
  '-rf',
  '--help',
  '*',
  '; touch pwned3 #',
  '\\back\\slash',
  '$HOME ${PATH}',
  'tab\there',
]
