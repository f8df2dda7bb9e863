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
    // Kernel versions with a /lib/modules/<v> tree or a /boot/vmlinuz-<v>, newest last (dpkg/`sort -V` order).
    installed: string[]
    // Last of installed; the running kernel when none is found on disk (a kernel booted from outside, as in VMs).
    newestInstalled: string
  }
  cpu: { count: number; model: string; vendor: string; virtFlags: Array<'vmx' | 'svm'> }
  memory: { totalMb: number }
  init: 'systemd' | 'sysv'
  interfaces: NetInterface[]
  kvm: {
    // /dev/kvm exists and is a character device.
    device: boolean
    // kvm is built into the running kernel: /sys/module/kvm exists and /proc/modules is absent or has no kvm line.
    builtin: boolean
    // Loaded kvm* modules from /proc/modules (kvm, kvm_intel, kvm_amd, kvm_pvm…), in that file's order.
    loadedModules: string[]
  }
  user: string
  uid: number
  // $HOME of the login, and `uname -m` (x86_64): Ansible's ansible_env.HOME and ansible_architecture.
  home: string
  arch: string
  // The IPv4 default route (lowest metric), if any: Ansible's ansible_default_ipv4.
  defaultRoute: { interface: string; gateway: string } | null
}
