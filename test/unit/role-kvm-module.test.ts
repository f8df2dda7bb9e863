import test from 'ava'
import { diagnose, modulesLoadConf, nestedConf, readKernelLog, rebootWarning, vendorModule, type KvmState } from '../../roles/kvm-module/diagnose.ts'

// Kernel log lines as the kernels print them (dmesg with timestamps, journalctl -k with its prefix).
const BIOS_LINES = [
  '[    4.812345] kvm: disabled by bios',
  "[    5.001122] kvm: support for 'kvm_intel' disabled by bios",
  "[    5.001122] kvm_amd: support for 'kvm_amd' disabled by bios",
  '[    3.901234] kvm_intel: VMX not enabled (by BIOS) in MSR_IA32_FEAT_CTL',
  '[    3.901234] kvm_intel: VMX not enabled (by BIOS) in MSR_IA32_FEAT_CTL on CPU 0',
  '[    0.031337] x86/cpu: VMX (outside TXT) disabled by BIOS',
  '[    0.031337] x86/cpu: VMX (inside TXT) disabled by BIOS',
  '[    0.145210] SVM disabled (by BIOS) in MSR_VM_CR',
  '[    6.220011] kvm_amd: SVM disabled (by BIOS) in MSR_VM_CR on CPU 0',
  '[    6.220011] kvm_amd: SVM disabled (by BIOS) in VM_CR MSR',
  '[    7.100000] kvm_intel: VMX not fully enabled on CPU 3.  Check kernel logs and/or BIOS',
  '[    2.000000] kvm: disable TXT in the BIOS or activate TXT before enabling KVM',
  'Nov 20 05:42:01 m5-03 kernel: kvm: disabled by bios',
]

const NO_HARDWARE_LINES = [
  '[    4.812345] kvm: no hardware support',
  "[    4.812345] kvm: no hardware support for 'kvm_amd'",
  '[    6.220011] kvm_amd: SVM not supported by CPU 0, not amd',
  '[    6.220011] kvm_amd: SVM not supported',
  '[    6.220011] kvm_intel: VMX not supported by CPU 1',
  "[    6.220011] kvm_intel: CPU doesn't support VMX",
  "[    6.220011] kvm_amd: CPU 0 isn't AMD or Hygon",
]

// Neighbours that say "disabled by BIOS" about something else, and kvm chatter that means nothing here.
const UNRELATED = [
  '[    0.031337] x86/cpu: SGX disabled by BIOS.',
  '[    0.712000] DMAR: IOMMU disabled by BIOS',
  '[    1.000000] ACPI: [Firmware Bug]: BIOS _OSI(Linux) query ignored',
  '[   12.000000] kvm: exiting hardware virtualization',
  '[    3.000000] kvm_intel: L1TF CPU bug present and SMT on, data leak possible.',
]

for (const line of BIOS_LINES) {
  test(`BIOS-disabled: ${line}`, (t) => {
    t.is(readKernelLog(`${UNRELATED.join('\n')}\n${line}\n`)?.kind, 'bios-disabled')
  })
}

for (const line of NO_HARDWARE_LINES) {
  test(`no hardware: ${line}`, (t) => {
    t.is(readKernelLog(`${line}\n${UNRELATED.join('\n')}`)?.kind, 'no-hardware')
  })
}

test('unrelated "disabled by BIOS" lines and kvm chatter find nothing', (t) => {
  t.is(readKernelLog(UNRELATED.join('\n')), undefined)
  t.is(readKernelLog(''), undefined)
})

test('a BIOS verdict beats "not supported" (modern AMD kernels print both) and keeps the kernel words only', (t) => {
  const log = '[    0.145210] SVM disabled (by BIOS) in MSR_VM_CR\n[    6.220011] kvm_amd: SVM not supported by CPU 0\n'
  t.deepEqual(readKernelLog(log), { kind: 'bios-disabled', line: 'SVM disabled (by BIOS) in MSR_VM_CR' })
  t.deepEqual(readKernelLog('Nov 20 05:42:01 m5-03 kernel: kvm: disabled by bios'), { kind: 'bios-disabled', line: 'kvm: disabled by bios' })
})

const MISSING: KvmState = {
  host: 'm5-03',
  device: false,
  builtin: false,
  virtFlags: ['vmx'],
  module: 'kvm_intel',
  loadedModules: [],
  moduleAvailable: true,
  kernelLog: '',
}

test('/dev/kvm present is usable, whatever the flags say (paravirtual KVM shows none)', (t) => {
  t.deepEqual(diagnose({ ...MISSING, device: true, builtin: true, virtFlags: [], kernelLog: BIOS_LINES[0]! }), { action: 'usable' })
})

test('no flag and nothing in the log: the CPU lacks VT-x/AMD-V', (t) => {
  const v = diagnose({ ...MISSING, virtFlags: [] })
  t.is(v.action, 'fail')
  t.regex(v.action === 'fail' ? v.message : '', /^KVM is missing: the CPU has no VT-x\/AMD-V .*m5-03/)
})

test('no flag but the kernel cleared it because the BIOS disabled VMX: enable it in the BIOS', (t) => {
  const v = diagnose({ ...MISSING, virtFlags: [], kernelLog: '[    0.031337] x86/cpu: VMX (outside TXT) disabled by BIOS\n' })
  t.is(v.action === 'fail' ? v.message : '',
    'virtualisation is switched off in the firmware: enable Intel VT-x / AMD-V (SVM mode) in the BIOS/UEFI setup of m5-03, then reboot (kernel: "x86/cpu: VMX (outside TXT) disabled by BIOS")')
})

test('flags present, BIOS disabled per the log: enable it in the BIOS, never modprobe', (t) => {
  const v = diagnose({ ...MISSING, kernelLog: '[    4.8] kvm: disabled by bios' })
  t.is(v.action, 'fail')
  t.regex(v.action === 'fail' ? v.message : '', /enable .* in the BIOS\/UEFI setup of m5-03/)
})

test('flags present, log says no hardware support: the CPU lacks it only when there is no flag', (t) => {
  const v = diagnose({ ...MISSING, virtFlags: [], kernelLog: '[    4.8] kvm: no hardware support' })
  t.regex(v.action === 'fail' ? v.message : '', /^KVM is missing: the CPU has no VT-x\/AMD-V .*\(kernel: "kvm: no hardware support"\)$/)
})

test('flags present, loadable module not loaded: load it', (t) => {
  t.deepEqual(diagnose(MISSING), { action: 'load', module: 'kvm_intel' })
  t.deepEqual(diagnose({ ...MISSING, virtFlags: ['svm'], module: 'kvm_amd' }), { action: 'load', module: 'kvm_amd' })
})

test('module missing for the running kernel, or built in / loaded without /dev/kvm: fail, never load', (t) => {
  for (const state of [{ moduleAvailable: false }, { builtin: true }, { loadedModules: ['kvm_intel', 'kvm'] }, { module: undefined }]) {
    t.is(diagnose({ ...MISSING, ...state }).action, 'fail', JSON.stringify(state))
  }
})

test('vendor module: a loaded one first, then the vendor, then the flag', (t) => {
  t.is(vendorModule({ vendor: 'GenuineIntel', virtFlags: [] }, ['kvm_pvm', 'kvm']), 'kvm_pvm')
  t.is(vendorModule({ vendor: 'GenuineIntel', virtFlags: [] }, []), 'kvm_intel')
  t.is(vendorModule({ vendor: 'AuthenticAMD', virtFlags: ['svm'] }, []), 'kvm_amd')
  t.is(vendorModule({ vendor: 'HygonGenuine', virtFlags: [] }, ['kvm']), 'kvm_amd')
  t.is(vendorModule({ vendor: '', virtFlags: ['vmx'] }, []), 'kvm_intel')
  t.is(vendorModule({ vendor: 'CentaurHauls', virtFlags: [] }, []), undefined)
})

test('reboot pending only when a newer kernel is installed; a newer one without kvm warns louder', (t) => {
  t.is(rebootWarning('6.1.0-13-amd64', '6.1.0-13-amd64', true), undefined)
  t.is(rebootWarning('6.1.0-13-amd64', '6.1.0-9-amd64', true), undefined)
  t.is(rebootWarning('6.1.0-9-amd64', '6.1.0-13-amd64', true), 'reboot pending: running 6.1.0-9-amd64, newest installed 6.1.0-13-amd64')
  t.regex(rebootWarning('6.1.0-9-amd64', '6.1.0-13-amd64', false)!, /^KVM MISSING in the newest installed kernel 6\.1\.0-13-amd64/)
})

test('config file bodies name the module', (t) => {
  t.regex(modulesLoadConf('kvm_amd'), /\nkvm_amd\n$/)
  t.regex(nestedConf('kvm_intel'), /\noptions kvm_intel nested=1\n$/)
})
