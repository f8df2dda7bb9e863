import test from 'ava'
import { guestVerdict } from '../../roles/kvm-module/guest.ts'
import { readProbe, type ProbeReply } from '../../src/sdk/kvm-probe.ts'

// The KVM test guest's verdict as data: labplay-kvm-probe's lines under KVM (and TCG) in, verdict and recap warning out.

// What the probe printed on this machine (kernel 6.18 with kvm_pvm, no vmx/svm flag) and what it prints elsewhere.
const HERE_KVM = 'fail 51 RPLC stopped at lock cmpxchg16b: KVM internal error. Suberror: 1 (emulation failure)'
const HERE_TCG = 'ok 53 RPLCXW'
const CRAWL = 'fail 3013 RPLCXW stopped in its 2M-iteration loop: still running after 3 s'
const NO_START = 'error 20 QEMU exited 1: qemu-system-x86_64: -device isa-debug-exit: not a valid device model name'

const read: Array<[string, ProbeReply]> = [
  ['ok 63 RPLCXW', { kind: 'ok', ms: 63, steps: 'RPLCXW' }],
  ['ok 48 RPLCW\n', { kind: 'ok', ms: 48, steps: 'RPLCW' }],
  [HERE_KVM, { kind: 'fail', ms: 51, steps: 'RPLC', reason: 'stopped at lock cmpxchg16b: KVM internal error. Suberror: 1 (emulation failure)' }],
  ['fail 3004 - stopped before its first instruction: still running after 3 s', { kind: 'fail', ms: 3004, steps: '', reason: 'stopped before its first instruction: still running after 3 s' }],
  [NO_START, { kind: 'error', ms: 20, reason: 'QEMU exited 1: qemu-system-x86_64: -device isa-debug-exit: not a valid device model name' }],
  ['no-qemu', { kind: 'missing', what: 'no-qemu' }],
  ['no-device', { kind: 'missing', what: 'no-device' }],
  ['no-access\n', { kind: 'missing', what: 'no-access' }],
]

for (const [line, reply] of read) {
  test(`probe line read: ${JSON.stringify(line)}`, (t) => {
    t.deepEqual(readProbe(line), reply)
  })
}

test('anything else from a seat is an error, never a verdict, and stays short', (t) => {
  for (const line of ['', 'ok', 'ok 12', 'ok 12 RPLC.', 'OK 12 RPLC', 'bash: labplay-kvm-probe: command not found', `ok 1 ${'R'.repeat(400)}`]) {
    const reply = readProbe(line)
    t.is(reply.kind, 'error', line)
    t.true(reply.kind === 'error' && reply.reason.length < 200, line)
  }
  t.is(readProbe('ok 63 RPLCXW\nok 1 R').kind, 'ok', 'only the first line counts')
  const hostile = readProbe('fail 9 RPLC stopped at xsave: \u001b]0;pwned\u0007\u001b[2J')
  t.is(hostile.kind === 'fail' ? hostile.reason : '', 'stopped at xsave: ?]0;pwned??[2J', 'no control character reaches a terminal')
})

test('a guest that runs to the end under KVM: KVM runs guests, no TCG run needed', (t) => {
  t.deepEqual(guestVerdict(readProbe('ok 63 RPLCXW')), { kind: 'runs-guests' })
})

test('this machine: the guest stops under KVM and runs under TCG: present but cannot run guests, a fallback warning', (t) => {
  t.deepEqual(guestVerdict(readProbe(HERE_KVM), readProbe(HERE_TCG)), {
    kind: 'cannot-run-guests',
    warning: 'KVM is present but cannot run guests: a test guest stopped at lock cmpxchg16b: KVM internal error. Suberror: 1 (emulation failure); ' +
      'under software emulation it runs, so the Windows session falls back to it (slow)',
  })
})

test('a KVM that crawls, or that QEMU cannot start under, cannot run guests either', (t) => {
  const crawl = guestVerdict(readProbe(CRAWL), readProbe(HERE_TCG))
  t.is(crawl.kind, 'cannot-run-guests')
  t.regex(crawl.kind === 'cannot-run-guests' ? crawl.warning : '', /^KVM is present but cannot run guests: a test guest stopped in its 2M-iteration loop: still running after 3 s; /)
  const start = guestVerdict(readProbe('fail 40 - stopped before its first instruction: QEMU exited 1: failed to initialize kvm: Invalid argument'), readProbe(HERE_TCG))
  t.regex(start.kind === 'cannot-run-guests' ? start.warning : '', /cannot run guests: a test guest stopped before its first instruction: QEMU exited 1: failed to initialize kvm/)
  const error = guestVerdict(readProbe('error 30 QEMU exited 1: something only KVM hits'), readProbe(HERE_TCG))
  t.regex(error.kind === 'cannot-run-guests' ? error.warning : '', /cannot run guests: QEMU did not start a test guest under KVM \(QEMU exited 1: something only KVM hits\)/)
})

test('the guest fails under TCG too: KVM is not blamed, the probe or QEMU is', (t) => {
  t.deepEqual(guestVerdict(readProbe(NO_START), readProbe(NO_START)), {
    kind: 'untested',
    warning: 'KVM could not be tested: QEMU did not start a test guest under KVM (QEMU exited 1: qemu-system-x86_64: -device isa-debug-exit: not a valid device model name), ' +
      'and under software emulation too (QEMU exited 1: qemu-system-x86_64: -device isa-debug-exit: not a valid device model name): QEMU on this host cannot run the test guest',
  })
  const both = guestVerdict(readProbe(HERE_KVM), readProbe('fail 3000 RPL stopped at cpuid in long mode: still running after 3 s'))
  t.regex(both.kind === 'untested' ? both.warning : '', /^KVM could not be tested: a test guest stopped at lock cmpxchg16b: .*, and under software emulation too \(stopped at cpuid in long mode: still running after 3 s\)/)
})

test('nothing to test with: untested, and the warning says what is missing', (t) => {
  t.deepEqual(guestVerdict(readProbe('no-qemu')), { kind: 'untested', warning: 'KVM is not tested with a guest: qemu-system-x86_64 is not installed' })
  t.deepEqual(guestVerdict(readProbe('no-device')), { kind: 'untested', warning: 'KVM is not tested with a guest: /dev/kvm is missing' })
  t.deepEqual(guestVerdict(readProbe('no-access')), { kind: 'untested', warning: 'KVM is not tested with a guest: /dev/kvm does not open read-write' })
})

test('warnings name no host and no timing: 18 seats with the same KVM give one recap line', (t) => {
  const a = guestVerdict(readProbe(HERE_KVM), readProbe(HERE_TCG))
  const b = guestVerdict(readProbe(HERE_KVM.replace('51', '85')), readProbe(HERE_TCG.replace('53', '68')))
  t.deepEqual(a, b)
})
