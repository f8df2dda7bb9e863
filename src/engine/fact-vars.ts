import type { Facts, NetInterface } from '../sdk/facts.types.ts'
import type { Vars } from '../vars.ts'

// Ansible's names for what labplay's facts hold (README: "Ansible fact names"), keyed without the
// `ansible_` prefix as in `ansible_facts`. Only what the facts really tell: no fqdn (that needs DNS),
// no distribution point release (Debian's /etc/debian_version), no hardware beyond CPUs and memory.
export function ansibleFacts(f: Facts): Vars {
  const distribution = distributionName(f.os.id)
  const ipv4 = (i: NetInterface) => i.addresses.filter((a) => !a.includes(':'))
  const ipv6 = (i: NetInterface) => i.addresses.filter((a) => a.includes(':'))
  const facts: Vars = {
    hostname: f.hostname.split('.')[0] ?? f.hostname,
    nodename: f.hostname,
    distribution,
    distribution_version: f.os.version,
    distribution_major_version: f.os.version.split('.')[0] ?? '',
    distribution_release: f.os.codename,
    os_family: OS_FAMILY[distribution] ?? distribution,
    kernel: f.kernel.running,
    architecture: f.arch,
    machine: f.arch,
    processor_vcpus: f.cpu.count,
    memtotal_mb: f.memory.totalMb,
    env: { HOME: f.home, USER: f.user },
    user_id: f.user,
    user_uid: f.uid,
    user_dir: f.home,
    interfaces: f.interfaces.map((i) => i.name),
    all_ipv4_addresses: f.interfaces.flatMap(ipv4).map(address).filter((a) => !a.startsWith('127.')),
    all_ipv6_addresses: f.interfaces.flatMap(ipv6).map(address).filter((a) => a !== '::1'),
    default_ipv4: defaultIpv4(f),
  }
  for (const i of f.interfaces) {
    const [first] = ipv4(i)
    facts[i.name.replace(/[-:]/g, '_')] = {
      device: i.name,
      ...(i.mac ? { macaddress: i.mac } : {}),
      ...(first ? { ipv4: ipv4Details(first) } : {}),
      ...(ipv6(i).length ? { ipv6: ipv6(i).map((a) => ({ address: address(a), prefix: a.split('/')[1] ?? '128' })) } : {}),
    }
  }
  return facts
}

// The variables facts add for templates: ansible_<name> for each of the above, ansible_facts, and labplay's `facts`.
export function factVars(f: Facts): Vars {
  const facts = ansibleFacts(f)
  return { ...Object.fromEntries(Object.entries(facts).map(([k, v]) => [`ansible_${k}`, v])), ansible_facts: facts, facts: f }
}

// Names a template may use before facts are read that only facts can define: `facts`, `ansible_facts`, and
// ansible_* names other than Ansible's connection and behaviour variables (ansible_host, ansible_user, …).
export function isFactName(name: string): boolean {
  return name === 'facts' || (name.startsWith('ansible_') && !NOT_FACTS.test(name))
}
const NOT_FACTS = /^ansible_(?:(?:host|port|user|connection|password|pass|become|private_key_file|python_interpreter|network_os|pipelining|timeout|remote_tmp|module_compression|async_dir|check_mode|diff_mode|verbosity|version|run_tags|skip_tags|limit|inventory_sources|config_file|forks|playbook_python|dependent_role_names|collection_name|loop_var|index_var|search_path|group_priority|role_names)$|(?:ssh|sftp|scp|become|shell|winrm|psrp|httpapi|netconf|paramiko|play|role|parent_role)_)/

// Ansible's ansible_distribution: the os-release ID capitalised, with its two exceptions.
function distributionName(id: string): string {
  const name = id.charAt(0).toUpperCase() + id.slice(1).toLowerCase()
  return name === 'Amzn' ? 'Amazon' : name === 'Rhel' ? 'Redhat' : name || 'OtherLinux'
}

// Part of Ansible's OS_FAMILY_MAP, for the distributions whose os-release ID capitalises to the mapped name.
const OS_FAMILY: Record<string, string> = {
  ...Object.fromEntries(['Debian', 'Ubuntu', 'Raspbian', 'Neon', 'Devuan', 'Kali', 'Parrot', 'Deepin', 'Uos', 'Osmc'].map((n) => [n, 'Debian'])),
  ...Object.fromEntries(['Redhat', 'Fedora', 'Centos', 'Rocky', 'Almalinux', 'Amazon', 'Ol', 'Scientific', 'Cloudlinux', 'Virtuozzo'].map((n) => [n, 'RedHat'])),
  ...Object.fromEntries(['Sles', 'Sled', 'Opensuse', 'Opensuse-leap', 'Opensuse-tumbleweed'].map((n) => [n, 'Suse'])),
  Arch: 'Archlinux', Archlinux: 'Archlinux', Manjaro: 'Archlinux', Gentoo: 'Gentoo', Alpine: 'Alpine', Slackware: 'Slackware',
}

function defaultIpv4(f: Facts): Vars {
  const route = f.defaultRoute
  const iface = route && f.interfaces.find((i) => i.name === route.interface)
  const first = iface?.addresses.find((a) => !a.includes(':'))
  if (!route || !iface || !first) return {}
  return { ...ipv4Details(first), alias: iface.name, gateway: route.gateway, interface: iface.name, macaddress: iface.mac }
}

// 10.5.0.107/16 → address, netmask, network and prefix, as Ansible writes them (strings).
function ipv4Details(cidr: string): Vars {
  const [addr = '', bits = '32'] = cidr.split('/')
  const prefix = Number(bits)
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0
  const value = addr.split('.').reduce((acc, part) => ((acc << 8) | Number(part)) >>> 0, 0)
  return { address: addr, netmask: dotted(mask), network: dotted((value & mask) >>> 0), prefix: String(prefix) }
}

function dotted(n: number): string {
  return [24, 16, 8, 0].map((shift) => (n >>> shift) & 255).join('.')
}

function address(cidr: string): string {
  return cidr.split('/')[0] ?? cidr
}
