// Pure decisions about the KVM test guest: what labplay-kvm-probe answered, and what the admin is told.

// One line of labplay-kvm-probe (files/labplay-kvm-probe): the test guest under one accelerator.
export type ProbeReply =
  | { kind: 'ok'; ms: number; steps: string }
  | { kind: 'fail'; ms: number; steps: string; reason: string }
  | { kind: 'error'; ms: number; reason: string }
  // Nothing to test with.
  | { kind: 'missing'; what: 'no-qemu' | 'no-device' | 'no-access' }

// A seat's words are data: one line, bounded, and anything unexpected is an error, never a verdict.
export function readProbe(stdout: string): ProbeReply {
  const line = stdout.split('\n')[0]!.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?').trim().slice(0, 300)
  if (line === 'no-qemu' || line === 'no-device' || line === 'no-access') return { kind: 'missing', what: line }
  const ok = /^ok (\d+) ([RPLCXW]{1,6})$/.exec(line)
  if (ok) return { kind: 'ok', ms: Number(ok[1]), steps: ok[2]! }
  const fail = /^fail (\d+) ([RPLCXW]{1,6}|-) (.+)$/.exec(line)
  if (fail) return { kind: 'fail', ms: Number(fail[1]), steps: fail[2] === '-' ? '' : fail[2]!, reason: fail[3]! }
  const error = /^error (\d+) (.+)$/.exec(line)
  if (error) return { kind: 'error', ms: Number(error[1]), reason: error[2]! }
  return { kind: 'error', ms: 0, reason: `unexpected answer from the KVM probe: ${JSON.stringify((line || stdout).slice(0, 100))}` }
}

export type GuestVerdict =
  | { kind: 'runs-guests' }
  | { kind: 'cannot-run-guests'; warning: string }
  | { kind: 'untested'; warning: string }

const MISSING = {
  'no-qemu': 'qemu-system-x86_64 is not installed',
  'no-device': '/dev/kvm is missing',
  'no-access': '/dev/kvm does not open read-write',
} as const

// The verdict from the guest under KVM, and under TCG when KVM failed (so a broken probe or QEMU is not blamed on KVM).
// Messages name no host and no timing, so the recap groups the seats that share a verdict on one line.
export function guestVerdict(kvm: ProbeReply, tcg?: ProbeReply): GuestVerdict {
  if (kvm.kind === 'ok') return { kind: 'runs-guests' }
  if (kvm.kind === 'missing') return { kind: 'untested', warning: `KVM is not tested with a guest: ${MISSING[kvm.what]}` }
  const underKvm = kvm.kind === 'fail' ? `a test guest ${kvm.reason}` : `QEMU did not start a test guest under KVM (${kvm.reason})`
  if (tcg?.kind === 'ok') {
    return { kind: 'cannot-run-guests', warning: `KVM is present but cannot run guests: ${underKvm}; under software emulation it runs, so the Windows session falls back to it (slow)` }
  }
  const underTcg = tcg === undefined ? 'not tried' : tcg.kind === 'missing' ? MISSING[tcg.what] : tcg.reason
  return { kind: 'untested', warning: `KVM could not be tested: ${underKvm}, and under software emulation too (${underTcg}): QEMU on this host cannot run the test guest` }
}
