// Pure decisions about the KVM test guest: what the admin is told of labplay-kvm-probe's answers (the SDK reads them).
import type { ProbeReply } from 'labplay'

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
