export interface NetInterface {
  name: string
  mac: string
  // CIDR form, IPv4 and IPv6: "10.0.0.5/24".
  addresses: string[]
}

// What a host is, read in one round trip before the first task.
export interface Facts {
  hostname: string
  os: { id: string; version: string; codename: string; pretty: string }
  kernel: {
    running: string
    // Kernel versions with a /lib/modules/<v> tree or a /boot/vmlinuz-<v>, newest last.
    installed: string[]
    newestInstalled: string
  }
  cpu: { count: number; model: string; vendor: string; virtFlags: Array<'vmx' | 'svm'> }
  memory: { totalMb: number }
  init: 'systemd' | 'sysv'
  interfaces: NetInterface[]
  kvm: {
    // /dev/kvm exists and is a character device.
    device: boolean
    // kvm is built into the running kernel (/sys/module/kvm without /proc/modules entry) or loadable.
    builtin: boolean
    loadedModules: string[]
  }
  user: string
  uid: number
}
