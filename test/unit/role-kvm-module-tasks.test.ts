import test from 'ava'
import type { Connection, ExecResult } from '../../src/connection/types.ts'
import { HostContext } from '../../src/sdk/host.ts'
import { TaskSkipped } from '../../src/sdk/outcome.ts'
import { isPlayTask, type HostTask } from '../../src/sdk/role.ts'
import role from '../../roles/kvm-module/index.ts'
import { FACTS } from './primitive-harness.ts'

// The role's KVM tasks as data: probe replies (and check mode, kvm_packages) in; probes sent, warning and state out.

const HERE_KVM = 'fail 51 RPLC stopped at lock cmpxchg16b: KVM internal error. Suberror: 1 (emulation failure)\n'

interface Ran {
  commands: string[]
  warnings: string[]
  state: Record<string, string>
  skipped?: string
}

async function runTask(name: string, replies: { kvm?: string; tcg?: string; dpkg?: string }, opts: { check?: boolean; vars?: Record<string, unknown> } = {}): Promise<Ran> {
  const commands: string[] = []
  const conn: Connection = {
    host: 'm5-03',
    close: async () => {},
    exec: async (command): Promise<ExecResult> => {
      commands.push(command)
      const stdout = command.endsWith(' labplay-kvm-probe kvm') ? replies.kvm : command.endsWith(' labplay-kvm-probe tcg') ? replies.tcg : replies.dpkg
      if (stdout === undefined) throw new Error(`unexpected command: ${command.slice(0, 80)}`)
      return { code: 0, stdout, stderr: '' }
    },
  }
  const state: Record<string, string> = {}
  const h = new HostContext({
    name: 'm5-03', vars: { ...role.defaults, ...opts.vars }, facts: FACTS, check: opts.check ?? false, diff: false, conn,
    timeoutMs: 10_000, signal: new AbortController().signal, progress: () => {}, state: (k, v) => void (state[k] = v),
  })
  const task = role.tasks.find((x) => x.name === name)
  if (!task || isPlayTask(task)) throw new Error(`no host task ${name}`)
  try {
    await (task as HostTask<typeof role.defaults>).run(h as never)
  } catch (error) {
    if (!(error instanceof TaskSkipped)) throw error
    return { commands, warnings: h.record.warnings, state, skipped: error.message }
  }
  return { commands, warnings: h.record.warnings, state }
}

const USABLE = 'KVM is usable (a test guest runs under KVM)'
// The probe's whole text, quoted, then its argument: `bash -c $'#!/bin/bash\n# labplay-kvm-probe: …' labplay-kvm-probe kvm`.
const probes = (r: Ran) => r.commands.map((c) => /^bash -c \$'#!\/bin\/bash\\n# labplay-kvm-probe: .* labplay-kvm-probe (kvm|tcg)$/s.exec(c)?.[1] ?? c.slice(0, 40))

test('the guest runs under KVM: no TCG run, no warning, state runs-guests', async (t) => {
  const r = await runTask(USABLE, { kvm: 'ok 63 RPLCXW\n' })
  t.deepEqual(probes(r), ['kvm'])
  t.deepEqual(r.warnings, [])
  t.deepEqual(r.state, { kvm: 'runs-guests' })
})

test('this machine: KVM stops the guest, TCG runs it: one warning, state cannot-run-guests, in check mode too', async (t) => {
  for (const check of [false, true]) {
    const r = await runTask(USABLE, { kvm: HERE_KVM, tcg: 'ok 53 RPLCXW\n' }, { check })
    t.deepEqual(probes(r), ['kvm', 'tcg'], 'the probe is read-only: it runs in check mode')
    t.deepEqual(r.warnings.map((w) => w.split(':')[0]), ['KVM is present but cannot run guests'])
    t.deepEqual(r.state, { kvm: 'cannot-run-guests' })
  }
})

test('check mode before QEMU or /dev/kvm is there: skipped with the reason, no warning', async (t) => {
  const qemu = await runTask(USABLE, { kvm: 'no-qemu\n' }, { check: true })
  t.is(qemu.skipped, 'QEMU is not installed yet: the test guest runs once it is')
  const device = await runTask(USABLE, { kvm: 'no-device\n' }, { check: true })
  t.is(device.skipped, '/dev/kvm is not there yet: the test guest runs once it is')
  t.deepEqual([...qemu.warnings, ...device.warnings], [])
})

test('kvm_packages empty and no QEMU: untested, said as a warning (a run or check mode)', async (t) => {
  for (const check of [false, true]) {
    const r = await runTask(USABLE, { kvm: 'no-qemu\n' }, { check, vars: { kvm_packages: [] } })
    t.deepEqual(r.warnings, ['KVM is not tested with a guest: qemu-system-x86_64 is not installed'])
    t.deepEqual(r.state, { kvm: 'untested' })
  }
})

test('QEMU for the probe: kvm_packages installed (a string from -e too), or the task skipped when empty', async (t) => {
  const QEMU = 'QEMU is installed, to test KVM with a guest'
  const installed = await runTask(QEMU, { dpkg: 'qemu-system-x86\tii \n' })
  t.regex(installed.commands[0]!, /^dpkg-query .* -- qemu-system-x86$/)
  const two = await runTask(QEMU, { dpkg: 'qemu-system-x86\tii \nqemu-utils\tii \n' }, { vars: { kvm_packages: 'qemu-system-x86, qemu-utils' } })
  t.regex(two.commands[0]!, /-- qemu-system-x86 qemu-utils$/)
  t.is((await runTask(QEMU, {}, { vars: { kvm_packages: [] } })).skipped, 'kvm_packages is empty: KVM is tested only where QEMU is installed')
  await t.throwsAsync(runTask(QEMU, {}, { vars: { kvm_packages: ['-o=x'] } }), { message: 'kvm_packages: not a Debian package name: "-o=x"' })
})
