import test from 'ava'
import { connectLocal } from '../../src/connection/local.ts'
import { HostContext } from '../../src/sdk/host.ts'
import { TaskFailed } from '../../src/sdk/outcome.ts'

// The output cap as a role sees it, over a real local connection: the task's default (--max-output),
// a command's own (h.exec, or zx-style limits before a probe/run template), and the step's error.
function host(maxOutputBytes?: number): HostContext {
  return new HostContext({
    name: 'localhost', vars: {}, facts: undefined, check: false, diff: false, conn: connectLocal('localhost'),
    timeoutMs: 30_000, maxOutputBytes, signal: new AbortController().signal, progress: () => undefined,
  })
}

test('past the cap a probe fails its step, naming the command and the cap', async (t) => {
  const h = host(4096)
  t.is((await h.probe`head -c 4096 /dev/zero | tr "\\0" a`).stdout.length, 4096)
  await t.throwsAsync(h.probe`yes labplay-limits`, { name: 'StepError', message: 'yes labplay-limits: output exceeded 4 KiB; the command was killed (--max-output raises the cap)' })
})

test('limits before a template, or in h.exec, override the default for that command only', async (t) => {
  const h = host(1024)
  const big = 'head -c 100000 /dev/zero'
  t.is((await h.probe({ maxOutputBytes: 200_000 })`head -c 100000 /dev/zero`).stdout.length, 100_000)
  t.is((await h.run({ maxOutputBytes: 100_000 })({ timeoutMs: 10_000 })`head -c 100000 /dev/zero`).stdout.length, 100_000)
  t.is((await h.exec(big, { mutating: false, maxOutputBytes: 100_000 })).stdout.length, 100_000)
  await t.throwsAsync(h.exec(big, { mutating: false }), { message: /output exceeded 1 KiB/ })
  await t.throwsAsync(h.probe({ maxOutputBytes: 0 })`true`, { instanceOf: TaskFailed, message: /maxOutputBytes: expected a whole number from 1 to 268435456, got 0/ })
})

test('without --max-output the connection default of 16 MiB applies', async (t) => {
  const h = host()
  t.is((await h.probe`head -c 16777216 /dev/zero`).stdout.length, 16 * 1024 * 1024)
  await t.throwsAsync(h.probe`head -c 16777217 /dev/zero`, { message: /output exceeded 16 MiB/ })
})
