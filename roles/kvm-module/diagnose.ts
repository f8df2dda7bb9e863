import { compareVersions } from 'labplay'

// Pure decisions of the kvm-module role: given what a host shows, what to do and what to tell the admin.

// Kernel log lines that mean the firmware switched VT-x/AMD-V off. Since Linux 5.6 (Intel, feat_ctl.c) and
// 5.x (AMD, amd.c) the kernel then also clears the vmx/svm flag, so these win over "no flag".
const BIOS_DISABLED = [
  /\bkvm(?:_intel|_amd)?: (?:support for '[^']+' )?disabled by bios\b/i, // kvm_main/x86.c up to 6.3
  /\bVMX not enabled \(by BIOS\) in MSR_IA32_FEAT_CTL\b/i, // vmx.c 6.4+
  /\bVMX not fully enabled on CPU \d+\. +Check kernel logs and\/or BIOS/i, // vmx.c after feat_ctl cleared VMX
  /\bVMX \((?:outside|inside) TXT\) disabled by BIOS\b/i, // arch/x86/kernel/cpu/feat_ctl.c
  /\bSVM disabled \(by BIOS\) in (?:MSR_VM_CR|VM_CR MSR)\b/i, // amd.c, hygon.c, svm.c
  /\bkvm: disable TXT in the BIOS\b/i, // vmx.c before 5.6: VMX only enabled with TXT
]

// Kernel log lines that mean the CPU itself has no usable VT-x/AMD-V.
const NO_HARDWARE = [
  /\bkvm(?:_intel|_amd|_x86)?: no hardware support\b/i,
  /\b(?:VMX|SVM) not supported\b/i,
  /\bCPU doesn't support VMX\b/i,
  /\bCPU \d+ isn't AMD or Hygon\b/i,
]

export interface LogFinding {
  kind: 'bios-disabled' | 'no-hardware'
  // The kernel's words, without the dmesg timestamp or the journal's prefix.
  line: string
}

// The most telling kvm line of a kernel log (dmesg or `journalctl -k`): a BIOS verdict beats "no hardware".
export function readKernelLog(log: string): LogFinding | undefined {
  const lines = log.split('\n').map(kernelWords).filter((l) => l !== '')
  const last = (patterns: RegExp[]) => lines.filter((l) => patterns.some((re) => re.test(l))).at(-1)
  const bios = last(BIOS_DISABLED)
  if (bios !== undefined) return { kind: 'bios-disabled', line: bios }
  const none = last(NO_HARDWARE)
  return none === undefined ? undefined : { kind: 'no-hardware', line: none }
}

// The kernel's own words for a message to the admin, or nothing.
export function kernelSaid(log: string): string {
  const finding = readKernelLog(log)
  return finding ? ` (kernel: "${finding.line}")` : ''
}

// "[    1.234567] kvm: …" (dmesg) or "Nov 20 05:42:01 m5-03 kernel: kvm: …" (journal) → "kvm: …".
function kernelWords(line: string): string {
  return line
    .trim()
    .replace(/^.*?\bkernel: /, '')
    .replace(/^\[\s*\d+\.\d+\]\s*/, '')
}

// The vendor module for this CPU: one already loaded (kvm_intel, kvm_amd, kvm_pvm…) wins, then the vendor, then the flag.
export function vendorModule(cpu: { vendor: string; virtFlags: readonly string[] }, loaded: readonly string[]): string | undefined {
  const own = loaded.find((m) => m.startsWith('kvm_'))
  if (own) return own
  if (cpu.vendor === 'GenuineIntel') return 'kvm_intel'
  if (cpu.vendor === 'AuthenticAMD' || cpu.vendor === 'HygonGenuine') return 'kvm_amd'
  if (cpu.virtFlags.includes('vmx')) return 'kvm_intel'
  if (cpu.virtFlags.includes('svm')) return 'kvm_amd'
  return undefined
}

export interface KvmState {
  host: string
  // /dev/kvm exists: KVM is present, whatever the flags say (paravirtual KVM shows no vmx/svm flag); the test guest says whether it runs guests.
  device: boolean
  builtin: boolean
  virtFlags: readonly string[]
  module: string | undefined
  loadedModules: readonly string[]
  // `modinfo MODULE` found it for the running kernel.
  moduleAvailable: boolean
  // kvm/vmx/svm lines of the kernel log; read only when /dev/kvm is missing.
  kernelLog: string
}

export type Verdict = { action: 'usable' } | { action: 'load'; module: string } | { action: 'fail'; message: string }

// Why /dev/kvm is missing and whether loading the module can fix it; /dev/kvm present ends the question (the test guest asks the next one).
export function diagnose(s: KvmState): Verdict {
  if (s.device) return { action: 'usable' }
  const finding = readKernelLog(s.kernelLog)
  const said = kernelSaid(s.kernelLog)
  if (finding?.kind === 'bios-disabled') {
    return { action: 'fail', message: `virtualisation is switched off in the firmware: enable Intel VT-x / AMD-V (SVM mode) in the BIOS/UEFI setup of ${s.host}, then reboot${said}` }
  }
  if (s.virtFlags.length === 0) {
    return { action: 'fail', message: `KVM is missing: the CPU has no VT-x/AMD-V (no vmx or svm flag in /proc/cpuinfo of ${s.host}): KVM cannot run on this machine${said}` }
  }
  if (s.module === undefined) {
    return { action: 'fail', message: `KVM is missing: no /dev/kvm, and the CPU vendor of ${s.host} is unknown: no kvm module to load${said}` }
  }
  if (s.builtin || s.loadedModules.includes(s.module)) {
    return { action: 'fail', message: `KVM is missing: the kernel of ${s.host} has it (${s.builtin ? 'built in' : `${s.module} loaded`}) but there is no /dev/kvm: check the kernel log${said}` }
  }
  if (!s.moduleAvailable) {
    return { action: 'fail', message: `KVM is missing: the running kernel of ${s.host} has no ${s.module} module: install its modules package or boot a kernel that has it${said}` }
  }
  return { action: 'load', module: s.module }
}

// After a kernel update: a warning for the recap (never a failure), or nothing when the newest kernel runs.
export function rebootWarning(running: string, newest: string, newestHasKvm: boolean): string | undefined {
  if (compareVersions(newest, running) <= 0) return undefined
  if (!newestHasKvm) {
    return `KVM MISSING in the newest installed kernel ${newest} (running ${running}); after a reboot into it the Windows session has no KVM unless its kvm modules are installed`
  }
  return `reboot pending: running ${running}, newest installed ${newest}`
}

// /etc/modules-load.d/ and /etc/modprobe.d/ file bodies.
export function modulesLoadConf(module: string): string {
  return `# Managed by labplay (kvm-module): load KVM for this CPU at boot.\n${module}\n`
}

export function nestedConf(module: string): string {
  return `# Managed by labplay (kvm-module): nested virtualisation for the Windows guest.\noptions ${module} nested=1\n`
}
