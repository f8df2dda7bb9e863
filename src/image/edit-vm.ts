// The VM `image edit` boots: the master disk read-write, an installer when given, a screen for the admin. Pure:
// the arguments follow from the plan.

export interface EditVm {
  disk: string
  format: string
  // Installer and driver ISOs (Windows, virtio-win), the first one booted once.
  isos: string[]
  memoryMb: number
  cpus: number
  // -accel and -cpu (accel.ts).
  accel: string[]
  // gtk: a window on this desktop; vnc: 127.0.0.1 only, the first free display from :0 on.
  display: 'gtk' | 'vnc'
  // QEMU's QMP socket.
  monitor: string
}

// The first VNC display tried and how many after it (ports 5900–5999).
export const VNC = '127.0.0.1:0,to=99'

// As the seats run it (labvm): q35, a virtio disk, the clock in local time, a tablet for the pointer. The network
// card is an e1000e, which a Windows installer drives without extra drivers; the seats' guest uses virtio-net.
export function editArgs(vm: EditVm): string[] {
  const drives = vm.isos.flatMap((iso) => ['-drive', `file=${commas(iso)},format=raw,media=cdrom,readonly=on`])
  return [
    '-name', 'labplay-image-edit',
    '-machine', 'q35',
    ...vm.accel,
    '-m', String(vm.memoryMb),
    '-smp', String(vm.cpus),
    '-drive', `file=${commas(vm.disk)},format=${vm.format},if=virtio,discard=unmap`,
    ...drives,
    ...(vm.isos.length ? ['-boot', 'once=d,menu=on'] : []),
    '-netdev', 'user,id=n0', '-device', 'e1000e,netdev=n0',
    '-device', 'qemu-xhci', '-device', 'usb-tablet',
    '-rtc', 'base=localtime',
    ...(vm.display === 'vnc' ? ['-display', 'none', '-vnc', VNC] : ['-display', 'gtk']),
    '-qmp', `unix:${commas(vm.monitor)},server=on,wait=off`,
  ]
}

// Half of this machine's memory, at most 4 GiB (what a Windows installer asks for), at least 512 MiB.
export function editMemoryMb(totalMb: number): number {
  return Math.max(512, Math.min(4096, Math.floor(totalMb / 2)))
}

// Up to 4 CPUs: Windows 11 setup wants 2.
export function editCpus(count: number): number {
  return Math.max(1, Math.min(4, count))
}

// In a QEMU option value a comma separates options: a path's own comma is written twice.
function commas(path: string): string {
  return path.replace(/,/g, ',,')
}
