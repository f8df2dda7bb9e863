import test from 'ava'
import { accelFor } from '../../src/image/accel.ts'
import { editArgs, editCpus, editMemoryMb } from '../../src/image/edit-vm.ts'
import { readProbe } from '../../src/sdk/kvm-probe.ts'

// The VM `image edit` boots, as data: kvm-module's probe answer in, QEMU's arguments out.

const VM = { disk: '/srv/masters/win11,next.qcow2', format: 'qcow2', isos: [] as string[], memoryMb: 4096, cpus: 2, accel: ['-accel', 'kvm', '-cpu', 'host'], display: 'gtk' as const, monitor: '/tmp/labplay-edit-x/qmp.sock' }

test('KVM only when the test guest ran under it; otherwise TCG, saying why', (t) => {
  t.deepEqual(accelFor(readProbe('ok 63 RPLCXW')), { args: ['-accel', 'kvm', '-cpu', 'host'], kvm: true })
  t.deepEqual(accelFor(readProbe('fail 390 RPLC stopped at lock cmpxchg16b: KVM internal error. Suberror: 1 (emulation failure)')), {
    args: ['-accel', 'tcg', '-cpu', 'max'], kvm: false,
    warning: 'KVM cannot run guests here (a test guest stopped at lock cmpxchg16b: KVM internal error. Suberror: 1 (emulation failure)): the guest runs under software emulation (TCG), much slower',
  })
  t.regex(accelFor(readProbe('no-access')).warning!, /^\/dev\/kvm does not open read-write for you \(the kvm group\): the guest runs under software emulation/)
  t.regex(accelFor(readProbe('error 30 QEMU exited 1')).warning!, /^KVM could not be tested \(QEMU exited 1\)/)
  t.false(accelFor(readProbe('garbage')).kvm)
})

test('the master disk read-write on virtio, a window; commas in paths doubled', (t) => {
  t.deepEqual(editArgs(VM), [
    '-name', 'labplay-image-edit', '-machine', 'q35', '-accel', 'kvm', '-cpu', 'host', '-m', '4096', '-smp', '2',
    '-drive', 'file=/srv/masters/win11,,next.qcow2,format=qcow2,if=virtio,discard=unmap',
    '-netdev', 'user,id=n0', '-device', 'e1000e,netdev=n0', '-device', 'qemu-xhci', '-device', 'usb-tablet', '-rtc', 'base=localtime',
    '-display', 'gtk', '-qmp', 'unix:/tmp/labplay-edit-x/qmp.sock,server=on,wait=off',
  ])
})

test('installer ISOs read-only, the first booted once; VNC on loopback only', (t) => {
  const args = editArgs({ ...VM, isos: ['/iso/Win11.iso', '/iso/virtio-win.iso'], display: 'vnc' }).join(' ')
  t.regex(args, / -drive file=\/iso\/Win11\.iso,format=raw,media=cdrom,readonly=on -drive file=\/iso\/virtio-win\.iso,format=raw,media=cdrom,readonly=on -boot once=d,menu=on /)
  t.regex(args, / -display none -vnc 127\.0\.0\.1:0,to=99 /)
  t.notRegex(editArgs(VM).join(' '), /-boot/, 'no ISO: the disk boots')
})

test('sizes: half the memory up to 4 GiB, up to 4 CPUs', (t) => {
  t.deepEqual([editMemoryMb(24_000), editMemoryMb(4000), editMemoryMb(600)], [4096, 2000, 512])
  t.deepEqual([editCpus(2), editCpus(16), editCpus(1)], [2, 4, 1])
})
