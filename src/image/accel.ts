import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { ROOT } from '../root.ts'
import { readProbe, type ProbeReply } from '../sdk/kvm-probe.ts'

// KVM or software emulation for `image edit`, decided as the seats decide it: kvm-module's probe runs its tiny
// test guest under KVM (an openable /dev/kvm that cannot run guests is common in nested and paravirtual VMs).

export interface Accel {
  // QEMU's -accel and -cpu.
  args: string[]
  kvm: boolean
  // Why it is software emulation, for the admin.
  warning?: string
}

const PROBE = join(ROOT, 'roles/kvm-module/files/labplay-kvm-probe')
// The probe bounds itself (5 s to start, 3 s to run); this is for a probe that hangs anyway.
const PROBE_TIMEOUT_MS = 20_000

const TCG = ['-accel', 'tcg', '-cpu', 'max']
const WHY = {
  'no-qemu': 'qemu-system-x86_64 is not installed (Debian: apt-get install qemu-system-x86 qemu-system-gui)',
  'no-device': '/dev/kvm is missing on this machine',
  'no-access': '/dev/kvm does not open read-write for you (the kvm group)',
} as const

export async function chooseAccel(): Promise<Accel> {
  const stdout = await new Promise<string>((resolve) => {
    execFile('bash', [PROBE, 'kvm'], { timeout: PROBE_TIMEOUT_MS }, (_err, out) => resolve(String(out ?? '')))
  })
  return accelFor(readProbe(stdout))
}

// KVM only when the test guest ran under it; anything else is software emulation, saying why.
export function accelFor(reply: ProbeReply): Accel {
  if (reply.kind === 'ok') return { args: ['-accel', 'kvm', '-cpu', 'host'], kvm: true }
  const why = reply.kind === 'missing' ? WHY[reply.what] : reply.kind === 'fail' ? `KVM cannot run guests here (a test guest ${reply.reason})` : `KVM could not be tested (${reply.reason})`
  return { args: TCG, kvm: false, warning: `${why}: the guest runs under software emulation (TCG), much slower` }
}
