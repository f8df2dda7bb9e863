import test from 'ava'
import kvm from '../../roles/kvm-module/index.ts'
import { runTask, type RoleCase, type TaskRun } from './role-harness.ts'

// The role's tasks as data (role-harness.ts): facts, the seat and the replies to its probes in; outcome and commands out.

// A task's outcome, and what must hold of it; `runs` are the changing commands it sent.
interface Want {
  status: TaskRun['status']
  message?: string | RegExp
  runs?: string[]
  changes?: string[]
  warnings?: string[]
}

const outcome = test.macro({
  async exec(t, task: string, c: RoleCase, want: Want) {
    const r = await runTask(kvm, task, c)
    t.is(r.status, want.status, r.message)
    if (typeof want.message === 'string') t.is(r.message, want.message)
    else if (want.message) t.regex(r.message ?? '', want.message)
    if (want.runs) t.deepEqual(r.runs, want.runs)
    if (want.changes) t.deepEqual(r.changes, want.changes)
    if (want.warnings) t.deepEqual(r.warnings, want.warnings)
  },
  title: (title = '', task: string) => `${task}: ${title}`,
})

// kvmPresent: /dev/kvm in the facts ends it; else the probes ask whether loading the module can help, and after
// a modprobe, whether it did.
const PRESENT = 'KVM is present (/dev/kvm exists)'
const NO_DEVICE = { kvm: { device: false, builtin: false, loadedModules: [] } }
const DEVICE_PROBE = 'test -c /dev/kvm'
const KERNEL_LOG = /^\{ dmesg /
const missing = (over: RoleCase = {}): RoleCase => ({
  facts: NO_DEVICE,
  ...over,
  probes: [...(over.probes ?? []), [DEVICE_PROBE, { code: 1 }], [KERNEL_LOG, ''], ['modinfo -- ', '']],
})

test('/dev/kvm in the facts: nothing to ask', outcome, PRESENT, {}, { status: 'ok', runs: [] })
test('a loadable module not loaded: modprobe, then /dev/kvm is there', outcome, PRESENT,
  missing({ probes: [[DEVICE_PROBE, [{ code: 1 }, { code: 0 }]]] }),
  { status: 'changed', runs: ['modprobe -- kvm_intel'] })
test('an AMD CPU loads kvm_amd', outcome, PRESENT,
  missing({ facts: { ...NO_DEVICE, cpu: { vendor: 'AuthenticAMD', virtFlags: ['svm'] } }, probes: [[DEVICE_PROBE, [{ code: 1 }, { code: 0 }]]] }),
  { status: 'changed', runs: ['modprobe -- kvm_amd'] })
test('check mode: the modprobe is reported, not run', outcome, PRESENT, missing({ check: true }),
  { status: 'changed', runs: [], changes: ['would run: modprobe -- kvm_intel'] })
test('the firmware switched VT-x off: enable it in the BIOS, never modprobe', outcome, PRESENT,
  missing({ probes: [[KERNEL_LOG, '[    4.8] kvm: disabled by bios\n']] }),
  { status: 'failed', runs: [], message: 'virtualisation is switched off in the firmware: enable Intel VT-x / AMD-V (SVM mode) in the BIOS/UEFI setup of m5-01, then reboot (kernel: "kvm: disabled by bios")' })
test('no vmx or svm flag: the CPU cannot run KVM', outcome, PRESENT,
  missing({ facts: { ...NO_DEVICE, cpu: { virtFlags: [] } } }),
  { status: 'failed', runs: [], message: /^KVM is missing: the CPU has no VT-x\/AMD-V \(no vmx or svm flag in \/proc\/cpuinfo of m5-01\)/ })
test('KVM built in, yet no /dev/kvm: read the kernel log', outcome, PRESENT,
  missing({ facts: { kvm: { device: false, builtin: true, loadedModules: [] } } }),
  { status: 'failed', runs: [], message: 'KVM is missing: the kernel of m5-01 has it (built in) but there is no /dev/kvm: check the kernel log' })
test('the module loaded, yet no /dev/kvm', outcome, PRESENT,
  missing({ facts: { kvm: { device: false, builtin: false, loadedModules: ['kvm_intel', 'kvm'] } } }),
  { status: 'failed', runs: [], message: /has it \(kvm_intel loaded\) but there is no \/dev\/kvm/ })
test('the running kernel has no such module', outcome, PRESENT,
  missing({ probes: [['modinfo -- ', { code: 1 }]] }),
  { status: 'failed', runs: [], message: /^KVM is missing: the running kernel of m5-01 has no kvm_intel module: install its modules package/ })
test('modprobe fails: its words, and /dev/kvm still missing', outcome, PRESENT,
  missing({ fails: [['modprobe', { code: 1, stderr: 'modprobe: ERROR: could not insert kvm_intel: Operation not supported' }]] }),
  { status: 'failed', runs: ['modprobe -- kvm_intel'], message: 'KVM is missing: loading kvm_intel did not create /dev/kvm on m5-01: modprobe -- kvm_intel: exit 1: modprobe: ERROR: could not insert kvm_intel: Operation not supported' })
test('modprobe runs, and then the kernel says the firmware has it off', outcome, PRESENT,
  missing({ probes: [[KERNEL_LOG, ['', 'kvm_intel: VMX not enabled (by BIOS) in MSR_IA32_FEAT_CTL\n']]] }),
  { status: 'failed', runs: ['modprobe -- kvm_intel'], message: /^virtualisation is switched off in the firmware: .* \(kernel: "kvm_intel: VMX not enabled \(by BIOS\) in MSR_IA32_FEAT_CTL"\)$/ })

// nested: kvm_nested is read by the SDK's bool(): Ansible's table, anything else an error naming it.
const NESTED = 'nested virtualisation is as configured'
const NESTED_CONF = '/etc/modprobe.d/labplay-kvm-nested.conf'
const written = { dirs: ['/etc/modprobe.d'], files: { [NESTED_CONF]: '# Managed by labplay (kvm-module): nested virtualisation for the Windows guest.\noptions kvm_intel nested=1\n' } }
for (const value of [false, 'no', 'off', 'n', '0', 0]) {
  test(`kvm_nested ${JSON.stringify(value)} removes the modprobe option`, outcome, NESTED, { vars: { kvm_nested: value }, seat: written },
    { status: 'changed', runs: [`rm -rf -- ${NESTED_CONF}`] })
}
for (const value of [true, 'yes', 'On', 'y', 't', '1', 1]) {
  test(`kvm_nested ${JSON.stringify(value)} with the option already set changes nothing`, outcome, NESTED, { vars: { kvm_nested: value }, seat: written },
    { status: 'ok', runs: [] })
}
test('kvm_nested true writes the option, which waits for the next module load', outcome, NESTED,
  { vars: { kvm_nested: true }, seat: { dirs: ['/etc/modprobe.d'] }, probes: [['cat /sys/module/kvm_intel/parameters/nested', 'N\n']] },
  { status: 'changed', changes: [`created ${NESTED_CONF}`], warnings: ['nested virtualisation starts when kvm_intel is next loaded (after a reboot)'] })
test('kvm_nested true with KVM built in: the kernel command line, not modprobe.d', outcome, NESTED,
  { vars: { kvm_nested: 'yes' }, facts: { kvm: { builtin: true } } },
  { status: 'ok', runs: [], warnings: ['KVM is built into the kernel: nested virtualisation needs kvm_intel.nested=1 on the kernel command line'] })
for (const value of ['', 'maybe', null]) {
  test(`kvm_nested ${JSON.stringify(value)} is an error naming it`, outcome, NESTED, { vars: { kvm_nested: value } },
    { status: 'failed', runs: [], message: /^kvm_nested: expected true or false \(yes\/no, on\/off, y\/n, t\/f, 1\/0\), got / })
}

// The test guest: labplay-kvm-probe's answer under KVM (and TCG when KVM fails) makes the verdict and the state.
const USABLE = 'KVM is usable (a test guest runs under KVM)'
const HERE_KVM = 'fail 51 RPLC stopped at lock cmpxchg16b: KVM internal error. Suberror: 1 (emulation failure)\n'
const guest = (kvmReply: string, tcgReply?: string, over: RoleCase = {}): RoleCase => ({
  ...over,
  probes: [[/ labplay-kvm-probe kvm$/, kvmReply], ...(tcgReply ? [[/ labplay-kvm-probe tcg$/, tcgReply] as [RegExp, string]] : [])],
})
// The probe's whole text, quoted, then its argument, its verdict kept in /run outside check mode:
// `LABPLAY_KVM_PROBE_CACHE=/run/labplay/kvm-probe.kvm LABPLAY_KVM_PROBE_WRITE=1 bash -c $'#!/bin/bash\n# labplay-kvm-probe: …' labplay-kvm-probe kvm`.
const probes = (r: TaskRun) => r.commands.map((c) => {
  const m = /^LABPLAY_KVM_PROBE_CACHE=\/run\/labplay\/kvm-probe\.(kvm|tcg) LABPLAY_KVM_PROBE_WRITE=([01]) bash -c \$'#!\/bin\/bash\\n# labplay-kvm-probe: .* labplay-kvm-probe (kvm|tcg)$/s.exec(c)
  return m && m[1] === m[3] ? `${m[3]}${m[2] === '0' ? ' (cache read only)' : ''}` : c.slice(0, 40)
})

test('the guest runs under KVM: no TCG run, no warning, state runs-guests', async (t) => {
  const r = await runTask(kvm, USABLE, guest('ok 63 RPLCXW\n'))
  t.deepEqual(probes(r), ['kvm'])
  t.deepEqual(r.warnings, [])
  t.deepEqual(r.state, { kvm: 'runs-guests' })
})

test('this machine: KVM stops the guest, TCG runs it: one warning, state cannot-run-guests, in check mode too', async (t) => {
  for (const check of [false, true]) {
    const r = await runTask(kvm, USABLE, guest(HERE_KVM, 'ok 53 RPLCXW\n', { check }))
    const readOnly = check ? ' (cache read only)' : ''
    t.deepEqual(probes(r), [`kvm${readOnly}`, `tcg${readOnly}`], 'the probe is read-only: it runs in check mode, and writes no verdict there')
    t.deepEqual(r.warnings.map((w) => w.split(':')[0]), ['KVM is present but cannot run guests'])
    t.deepEqual(r.state, { kvm: 'cannot-run-guests' })
  }
})

test('check mode before QEMU or /dev/kvm is there: skipped with the reason, no warning', async (t) => {
  const qemu = await runTask(kvm, USABLE, guest('no-qemu\n', undefined, { check: true }))
  t.is(qemu.message, 'QEMU is not installed yet: the test guest runs once it is')
  const device = await runTask(kvm, USABLE, guest('no-device\n', undefined, { check: true }))
  t.is(device.message, '/dev/kvm is not there yet: the test guest runs once it is')
  t.deepEqual([qemu.status, device.status], ['skipped', 'skipped'])
  t.deepEqual([...qemu.warnings, ...device.warnings], [])
})

test('kvm_packages empty and no QEMU: untested, said as a warning (a run or check mode)', async (t) => {
  for (const check of [false, true]) {
    const r = await runTask(kvm, USABLE, guest('no-qemu\n', undefined, { check, vars: { kvm_packages: [] } }))
    t.deepEqual(r.warnings, ['KVM is not tested with a guest: qemu-system-x86_64 is not installed'])
    t.deepEqual(r.state, { kvm: 'untested' })
  }
})

test('QEMU for the probe: kvm_packages installed (a string from -e too), or the task skipped when empty', async (t) => {
  const QEMU = 'QEMU is installed, to test KVM with a guest'
  const installed = await runTask(kvm, QEMU, { seat: { packages: ['qemu-system-x86'] } })
  t.regex(installed.commands[0]!, /^dpkg-query .* -- qemu-system-x86$/)
  t.is(installed.status, 'ok')
  const two = await runTask(kvm, QEMU, { seat: { packages: ['qemu-system-x86'] }, vars: { kvm_packages: 'qemu-system-x86, qemu-utils' } })
  t.regex(two.commands[0]!, /-- qemu-system-x86 qemu-utils$/)
  t.deepEqual(two.changes, ['installed qemu-utils'])
  t.is((await runTask(kvm, QEMU, { vars: { kvm_packages: [] } })).message, 'kvm_packages is empty: KVM is tested only where QEMU is installed')
  t.is((await runTask(kvm, QEMU, { vars: { kvm_packages: ['-o=x'] } })).message, 'kvm_packages: not a Debian package name: "-o=x"')
})

// kvmUsers: one probe prints every user's groups (`user:groups`, `user:` when unknown); gpasswd for those outside kvm.
const USERS = 'kvm_users are in the kvm group'
const GROUPS = /^for u in /
test('every user already in kvm: the one probe, nothing run', outcome, USERS,
  { vars: { kvm_users: ['ada', 'bob'] }, probes: [[GROUPS, 'ada:ada kvm\nbob:bob audio kvm\n']] }, { status: 'ok', runs: [] })
test('one user outside kvm, one unknown (a string from -e): gpasswd for the one, a warning for the other', outcome, USERS,
  { vars: { kvm_users: 'ada,ghost' }, probes: [[GROUPS, 'ada:ada audio\nghost:\n']] },
  { status: 'changed', runs: ['gpasswd -a ada kvm'], warnings: ["kvm_users: no user 'ghost' on this host"] })
test('check mode: gpasswd reported, not run', outcome, USERS,
  { vars: { kvm_users: ['ada'] }, check: true, probes: [[GROUPS, 'ada:ada\n']] },
  { status: 'changed', runs: [], changes: ['would run: gpasswd -a ada kvm'] })
test(`${USERS}: no kvm_users, not even the probe`, async (t) => {
  const r = await runTask(kvm, USERS)
  t.is(r.status, 'ok')
  t.deepEqual(r.commands, [])
})
