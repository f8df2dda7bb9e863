// The KVM probe's answer (roles/kvm-module/files/labplay-kvm-probe), read by one rule for the kvm-module role,
// which runs it on the seats, and for `labplay image edit`, which runs it on the controller.

// One line of labplay-kvm-probe: the test guest under one accelerator.
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
