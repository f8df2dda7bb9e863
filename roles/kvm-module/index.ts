import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { bool, defineRole, readProbe, type Host, type ProbeReply } from 'labplay'
import { diagnose, kernelSaid, modulesLoadConf, nestedConf, rebootWarning, vendorModule, type KvmState } from './diagnose.ts'
import { guestVerdict } from './guest.ts'
import { packageNames, userNames } from './vars.ts'

const MODULES_LOAD = '/etc/modules-load.d/labplay-kvm.conf'
const NESTED = '/etc/modprobe.d/labplay-kvm-nested.conf'
const UDEV_RULE = '/etc/udev/rules.d/65-labplay-kvm.rules'
// labvm (vm-image role) runs the installed copy at session start.
const PROBE = '/usr/local/libexec/labplay-kvm-probe'
const shipped = (name: string): string => fileURLToPath(new URL(`files/${name}`, import.meta.url))
// Before 73-seat-late.rules, which turns the uaccess tag into an ACL for the user at the seat.
const RULE = 'KERNEL=="kvm", GROUP="kvm", MODE="0660", TAG+="uaccess"\n'
// Only the kvm lines of the kernel log travel back; dmesg first, the journal where dmesg is unreadable.
const KERNEL_LOG = `{ dmesg 2>/dev/null || journalctl -k -b -q --no-pager 2>/dev/null; } | grep -aiE 'kvm|vmx|svm|txt\\)' | tail -n 50`

// Declared so that the test lab's mirror carries them; the default of kvm_packages.
const KVM_PACKAGES = ['qemu-system-x86']

const defaults = {
  // Let the Windows guest run VMs itself (options <module> nested=1); takes effect when the module is next loaded.
  kvm_nested: false as boolean | string,
  // Users added to the kvm group, for /dev/kvm outside a seat session (ssh, cron); the seat's user needs none.
  kvm_users: [] as string[] | string,
  // Debian packages the KVM test guest needs (QEMU); [] tests KVM only where QEMU is already installed.
  kvm_packages: KVM_PACKAGES as string[] | string,
}
type KvmHost = Host<typeof defaults>

function module(h: KvmHost): string | undefined {
  return vendorModule(h.facts.cpu, h.facts.kvm.loadedModules)
}

// /dev/kvm present is the first step; flags and the kernel log only explain its absence. modprobe only where it can help.
async function kvmPresent(h: KvmHost): Promise<void> {
  const { kvm, cpu } = h.facts
  if (kvm.device) return
  const mod = module(h)
  const state = async (moduleAvailable: boolean): Promise<KvmState> => ({
    host: h.name,
    device: (await h.probe`test -c /dev/kvm`).code === 0,
    builtin: kvm.builtin,
    virtFlags: cpu.virtFlags,
    module: mod,
    loadedModules: kvm.loadedModules,
    moduleAvailable,
    kernelLog: (await h.exec(KERNEL_LOG, { mutating: false })).stdout,
  })
  const available = mod !== undefined && (await h.probe`modinfo -- ${mod}`).code === 0
  const verdict = diagnose(await state(available))
  if (verdict.action === 'usable') return
  if (verdict.action === 'fail') h.fail(verdict.message)
  let loadError = ''
  try {
    await h.run`modprobe -- ${verdict.module}`
  } catch (error) {
    loadError = `: ${(error as Error).message}`
  }
  if (h.check) return
  const after = await state(true)
  const why = diagnose(after)
  if (why.action === 'usable') return
  if (why.action === 'fail') h.fail(why.message)
  h.fail(`KVM is missing: loading ${verdict.module} did not create /dev/kvm on ${h.name}${loadError}${kernelSaid(after.kernelLog)}`)
}

// The probe's own text runs as a read-only command (check mode too, before it is installed anywhere). Its
// verdict is kept for the boot in a root-only folder of /run (written outside check mode), so a rerun of the
// role starts no QEMU; a new boot, kernel, QEMU binary or /dev/kvm node measures again.
const PROBE_CACHE = '/run/labplay/kvm-probe'
let probeScript: string | undefined
async function probe(h: KvmHost, accel: 'kvm' | 'tcg'): Promise<ProbeReply> {
  probeScript ??= readFileSync(shipped('labplay-kvm-probe'), 'utf8')
  const cache = `${PROBE_CACHE}.${accel}`
  const write = h.check ? '0' : '1'
  return readProbe((await h.probe`LABPLAY_KVM_PROBE_CACHE=${cache} LABPLAY_KVM_PROBE_WRITE=${write} bash -c ${probeScript} labplay-kvm-probe ${accel}`).stdout)
}

// Only a guest that runs proves KVM usable; one that cannot run is a recap warning, since labvm falls back to TCG.
async function kvmRunsGuests(h: KvmHost): Promise<void> {
  const kvm = await probe(h, 'kvm')
  if (h.check && kvm.kind === 'missing' && kvm.what === 'no-qemu' && packageNames(h.vars.kvm_packages, 'kvm_packages', h).length > 0) {
    h.skip('QEMU is not installed yet: the test guest runs once it is')
  }
  if (h.check && kvm.kind === 'missing' && kvm.what === 'no-device') h.skip('/dev/kvm is not there yet: the test guest runs once it is')
  const tcg = kvm.kind === 'fail' || kvm.kind === 'error' ? await probe(h, 'tcg') : undefined
  const verdict = guestVerdict(kvm, tcg)
  h.state('kvm', verdict.kind)
  if (verdict.kind !== 'runs-guests') h.warn(verdict.warning)
}

// Built-in KVM needs nothing at boot; a loadable one is listed in modules-load.d.
async function loadsAtBoot(h: KvmHost): Promise<void> {
  if (h.facts.kvm.builtin) {
    const removed = await h.absent(MODULES_LOAD)
    if (!removed.changed) h.skip(`KVM is built into kernel ${h.facts.kernel.running}: nothing to load at boot`)
    return
  }
  const mod = module(h)
  if (mod === undefined) h.fail(`unknown CPU vendor '${h.facts.cpu.vendor}': no kvm module to load at boot`)
  await h.directory('/etc/modules-load.d', { mode: '0755' })
  await h.file(MODULES_LOAD, { content: modulesLoadConf(mod), mode: '0644' })
}

async function nested(h: KvmHost): Promise<void> {
  if (!bool(h.vars.kvm_nested, 'kvm_nested')) {
    await h.absent(NESTED)
    return
  }
  const mod = module(h)
  if (mod === undefined) h.fail(`unknown CPU vendor '${h.facts.cpu.vendor}': cannot set nested virtualisation`)
  if (h.facts.kvm.builtin) {
    await h.absent(NESTED)
    h.warn(`KVM is built into the kernel: nested virtualisation needs ${mod}.nested=1 on the kernel command line`)
    return
  }
  await h.directory('/etc/modprobe.d', { mode: '0755' })
  const written = await h.file(NESTED, { content: nestedConf(mod), mode: '0644' })
  if (!written.changed || h.check) return
  const now = await h.probe`cat ${`/sys/module/${mod}/parameters/nested`}`
  if (now.code === 0 && !/^[Y1]/.test(now.stdout.trim())) h.warn(`nested virtualisation starts when ${mod} is next loaded (after a reboot)`)
}

async function kvmGroup(h: KvmHost): Promise<void> {
  if ((await h.probe`getent group kvm`).code === 0) return
  await h.run`groupadd -r kvm`
}

// gpasswd edits /etc/group, so directory (LDAP/NFS) users can be members too. One probe asks for every user's
// groups (`user:groups`, or `user:` for a user this host does not know).
async function kvmUsers(h: KvmHost): Promise<void> {
  const users = userNames(h.vars.kvm_users, 'kvm_users', h)
  if (users.length === 0) return
  const seen = await h.probe`for u in ${users}; do printf '%s:%s\n' "$u" "$(id -nG -- "$u" 2>/dev/null)"; done`
  const groups = new Map(seen.stdout.split('\n').map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1)]))
  for (const user of users) {
    const of = groups.get(user)?.trim()
    if (!of) h.warn(`kvm_users: no user '${user}' on this host`)
    else if (!of.split(/\s+/).includes('kvm')) await h.run`gpasswd -a ${user} kvm`
  }
}

// A newer kernel on disk means a reboot is coming: make sure it can still run KVM.
async function newestKernel(h: KvmHost): Promise<void> {
  const { running, newestInstalled } = h.facts.kernel
  if (rebootWarning(running, newestInstalled, true) === undefined) return
  const builtin = `/lib/modules/${newestInstalled}/modules.builtin`
  const found = await h.probe`modinfo -k ${newestInstalled} kvm >/dev/null 2>&1 || grep -qE '(^|/)kvm\\.ko$' ${builtin} 2>/dev/null`
  h.warn(rebootWarning(running, newestInstalled, found.code === 0)!)
}

export default defineRole({
  name: 'kvm-module',
  description: 'KVM usable at every seat: /dev/kvm present (module loaded and persisted where loadable), a test guest runs under it, open to the student at the seat, ready after a kernel update.',
  defaults,
  packages: KVM_PACKAGES,
  tasks: [
    { name: 'KVM is present (/dev/kvm exists)', run: kvmPresent },
    {
      name: 'QEMU is installed, to test KVM with a guest',
      run: async (h) => {
        const packages = packageNames(h.vars.kvm_packages, 'kvm_packages', h)
        if (packages.length === 0) h.skip('kvm_packages is empty: KVM is tested only where QEMU is installed')
        await h.packages(packages)
      },
    },
    { name: 'KVM is usable (a test guest runs under KVM)', run: kvmRunsGuests },
    {
      name: 'labvm can test KVM at session start',
      run: async (h) => {
        await h.directory('/usr/local/libexec', { mode: '0755' })
        await h.file(PROBE, { source: shipped('labplay-kvm-probe'), mode: '0755', owner: 'root', group: 'root' })
      },
    },
    { name: 'kvm module loads at boot', run: loadsAtBoot },
    { name: 'nested virtualisation is as configured', run: nested },
    { name: 'kvm group exists', run: kvmGroup },
    {
      name: '/dev/kvm opens for the student at the seat',
      run: async (h) => {
        await h.directory('/etc/udev/rules.d', { mode: '0755' })
        await h.file(UDEV_RULE, { content: `# Managed by labplay (kvm-module).\n${RULE}`, mode: '0644' })
      },
      notify: 'reload udev rules',
    },
    { name: 'kvm_users are in the kvm group', run: kvmUsers },
    { name: 'the newest installed kernel ships KVM and runs', run: newestKernel },
  ],
  handlers: {
    // udevd absent (containers, the test lab): the rule applies at its next start; never trigger without it.
    'reload udev rules': async (h) => {
      if ((await h.probe`test -S /run/udev/control`).code !== 0) return
      await h.run`udevadm control --reload && udevadm trigger --action=change --subsystem-match=misc --sysname-match=kvm`
    },
  },
  // A new running kernel (or a new one waiting for the reboot) is what this role must see again: --stale reruns it.
  inputs: ({ facts }) => ({ kernel: facts.kernel.running, newestKernel: facts.kernel.newestInstalled }),
})
