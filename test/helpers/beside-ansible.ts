import pLimit from 'p-limit'
import { run, type RunResult } from '../lab/run.ts'
import { BIN } from './labplay.ts'

// Shared by the tests that run labplay and Debian's ansible-core side by side on the same files.
export interface SideBySide {
  // What both run with: the test's own HOME, no colours, none of the warnings only Ansible prints, no retry files.
  env: NodeJS.ProcessEnv
  // A command, two at a time at most (ansible-core is slow to start on two cores), killed after two minutes.
  run(command: string, args: string[], cwd?: string): Promise<RunResult>
  // labplay's CLI, run the same way.
  labplay(args: string[], cwd?: string): Promise<RunResult>
}

// Commands run in `cwd` unless told otherwise.
export function sideBySide(home: string, cwd: string): SideBySide {
  const env = { ...process.env, HOME: home, NO_COLOR: '1', ANSIBLE_NOCOLOR: '1', ANSIBLE_LOCALHOST_WARNING: 'False', ANSIBLE_DEPRECATION_WARNINGS: 'False', ANSIBLE_RETRY_FILES_ENABLED: 'False' }
  const limit = pLimit(2)
  const command = (file: string, args: string[], at = cwd) => limit(() => run(file, args, { cwd: at, env, timeoutMs: 120_000 }))
  return { env, run: command, labplay: (args, at = cwd) => command('node', [BIN, ...args], at) }
}
