import { formatSize } from '../connection/output-limit.ts'
import type { Facts, NetInterface } from './facts.types.ts'

// A seat's facts are data from an untrusted host: a value past FACT_VALUE_LIMIT bytes is not sent (the
// script says `key!length` instead), and an answer past FACTS_LIMIT fails the facts task.
export const FACT_VALUE_LIMIT = 8 * 1024
export const FACTS_LIMIT = 1024 * 1024

// One bash script, one round trip: `key=value` lines (value with `\` and newline escaped), keys may repeat.
// Only builtins plus coreutils/grep/ip; every source is optional, so a minimal host still answers.
// In this template `${'$'}{` is bash's literal `${`.
export const FACTS_SCRIPT = String.raw`export LC_ALL=C
shopt -s nullglob
f() { [ "${'$'}{#2}" -le ${FACT_VALUE_LIMIT} ] || { printf '%s!%s\n' "$1" "${'$'}{#2}"; return; }; local v=${'$'}{2//\\/\\\\}; printf '%s=%s\n' "$1" "${'$'}{v//$'\n'/\\n}"; }
lines() { local l; while IFS= read -r l || [ -n "$l" ]; do f "$1" "$l"; done; }
# A command's answer, cut one byte past the limit: a hostile seat's 300 MB uname is refused without being read whole.
c() { "$@" 2>/dev/null | head -c ${FACT_VALUE_LIMIT + 1}; }
h=$(</proc/sys/kernel/hostname) 2>/dev/null; [ -n "$h" ] || h=$(uname -n 2>/dev/null)
f hostname "$h"
if [ -r /etc/os-release ]; then lines os </etc/os-release; elif [ -r /usr/lib/os-release ]; then lines os </usr/lib/os-release; fi
f kernel "$(c uname -r)"
f arch "$(c uname -m)"
for d in /lib/modules/*/; do d=${'$'}{d%/}; f kernel-installed "${'$'}{d##*/}"; done
for d in /boot/vmlinuz-*; do f kernel-installed "${'$'}{d#/boot/vmlinuz-}"; done
n=$(grep -c '^processor' /proc/cpuinfo 2>/dev/null); [ "${'$'}{n:-0}" -gt 0 ] 2>/dev/null || n=$(nproc 2>/dev/null)
f cpus "$n"
grep -m3 -E '^(vendor_id|model name|flags)[[:space:]]*:' /proc/cpuinfo 2>/dev/null | lines cpuinfo
while read -r k v _; do if [ "$k" = MemTotal: ]; then f mem-kb "$v"; break; fi; done </proc/meminfo
if [ -d /run/systemd/system ]; then f init systemd; else f init sysv; fi
if links=$(ip -o link 2>/dev/null); then
  lines link <<<"$links"; ip -o addr 2>/dev/null | lines addr; ip -4 route show default 2>/dev/null | lines route4
else
  for d in /sys/class/net/*; do i=0 m=; read -r i <"$d/ifindex"; read -r m <"$d/address"; f sysnet "$i ${'$'}{d##*/} $m"; done 2>/dev/null
  [ -r /proc/net/if_inet6 ] && lines inet6 </proc/net/if_inet6
  [ -r /proc/net/fib_trie ] && lines fib </proc/net/fib_trie
  [ -r /proc/net/route ] && lines route </proc/net/route
fi
[ -c /dev/kvm ] && f kvm-device 1
[ -d /sys/module/kvm ] && f kvm-sysfs 1
if [ -r /proc/modules ]; then
  f proc-modules 1
  while read -r m _; do case $m in kvm*) f module "$m" ;; esac; done </proc/modules
fi
u=$(c id -un); [ -n "$u" ] || u=${'$'}{USER:-}
f user "$u"
f uid "$EUID"
f home "$HOME"
f end 1
`

// The engine calls this on FACTS_SCRIPT's output; a truncated answer is an error, not half-empty facts,
// and so is a value the script found too long.
export function parseFacts(stdout: string): Facts {
  const values = new Map<string, string[]>()
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=')
    const long = eq < 0 ? /^([a-z-]+)!(\d+)$/.exec(line) : null
    if (long) throw new Error(`fact '${long[1]}': expected at most ${formatSize(FACT_VALUE_LIMIT)}, got ${Number(long[2]) > FACT_VALUE_LIMIT + 1 ? formatSize(Number(long[2])) : 'more'}`)
    if (eq <= 0) continue
    const key = line.slice(0, eq)
    const list = values.get(key) ?? []
    list.push(unescape(line.slice(eq + 1)))
    values.set(key, list)
  }
  if (!values.has('end')) throw new Error('facts output is incomplete (no end marker)')
  const all = (key: string): string[] => values.get(key) ?? []
  const one = (key: string): string => all(key)[0] ?? ''

  const os = osRelease(all('os'))
  const running = one('kernel')
  const installed = [...new Set(all('kernel-installed'))].sort(compareVersions)
  const cpu = cpuInfo(all('cpuinfo'))
  const loadedModules = all('module')
  return {
    hostname: one('hostname'),
    os: { id: os.ID ?? '', version: os.VERSION_ID ?? '', codename: os.VERSION_CODENAME ?? '', pretty: os.PRETTY_NAME ?? '' },
    kernel: { running, installed, newestInstalled: installed.at(-1) ?? running },
    cpu: { count: Number(one('cpus')) || 0, ...cpu },
    memory: { totalMb: Math.floor((Number(one('mem-kb')) || 0) / 1024) },
    init: one('init') === 'systemd' ? 'systemd' : 'sysv',
    interfaces: values.has('link') ? ipInterfaces(all('link'), all('addr')) : sysInterfaces(all('sysnet'), all('inet6'), all('fib'), all('route')),
    kvm: {
      device: values.has('kvm-device'),
      builtin: values.has('kvm-sysfs') && !(values.has('proc-modules') && loadedModules.includes('kvm')),
      loadedModules,
    },
    user: one('user'),
    uid: Number(one('uid')),
    home: one('home'),
    arch: one('arch'),
    defaultRoute: values.has('link') ? ipDefaultRoute(all('route4')) : procDefaultRoute(all('route')),
  }
}

// `ip -4 route show default`: "default via 10.0.2.2 dev eth0 proto dhcp metric 100"; the lowest metric wins.
function ipDefaultRoute(lines: string[]): Facts['defaultRoute'] {
  const routes = lines.map((line) => ({
    gateway: /\svia\s(\S+)/.exec(line)?.[1] ?? '',
    interface: /\sdev\s(\S+)/.exec(line)?.[1] ?? '',
    metric: Number(/\smetric\s(\d+)/.exec(line)?.[1] ?? 0),
  })).filter((r) => r.interface)
  const best = routes.sort((a, b) => a.metric - b.metric)[0]
  return best ? { gateway: best.gateway, interface: best.interface } : null
}

// /proc/net/route (no iproute2): the 0.0.0.0/0 line with the lowest metric; the gateway is little-endian hex.
function procDefaultRoute(lines: string[]): Facts['defaultRoute'] {
  const routes = lines.slice(1).map((line) => line.trim().split(/\s+/)).filter((f) => f.length >= 8 && f[1] === '00000000' && f[7] === '00000000')
  const best = routes.sort((a, b) => Number(a[6]) - Number(b[6]))[0]
  if (!best) return null
  const gw = leHex(best[2]!)
  return { interface: best[0]!, gateway: gw === 0 ? '' : [24, 16, 8, 0].map((shift) => (gw >>> shift) & 255).join('.') }
}

// dpkg's version order (what `sort -V` approximates): digits compare as numbers, `~` sorts before anything.
export function compareVersions(a: string, b: string): number {
  let i = 0
  let j = 0
  while (i < a.length || j < b.length) {
    let first = 0
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const d = order(a[i]) - order(b[j])
      if (d !== 0) return d
      i++
      j++
    }
    while (a[i] === '0') i++
    while (b[j] === '0') j++
    while (isDigit(a[i]) && isDigit(b[j])) {
      if (first === 0) first = a.charCodeAt(i) - b.charCodeAt(j)
      i++
      j++
    }
    if (isDigit(a[i])) return 1
    if (isDigit(b[j])) return -1
    if (first !== 0) return first
  }
  return 0
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9'
}

function order(c: string | undefined): number {
  if (c === undefined || isDigit(c)) return 0
  if (c === '~') return -1
  if (/[A-Za-z]/.test(c)) return c.charCodeAt(0)
  return c.charCodeAt(0) + 256
}

function unescape(value: string): string {
  return value.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c))
}

// os-release is shell-like: KEY=value, KEY="value" or KEY='value', with \-escapes inside double quotes.
function osRelease(lines: string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of lines) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim())
    if (!m) continue
    const raw = m[2]
    if (raw.startsWith('"') && raw.endsWith('"') && raw.length >= 2) out[m[1]] = raw.slice(1, -1).replace(/\\([$"\\`])/g, '$1')
    else if (raw.startsWith("'") && raw.endsWith("'") && raw.length >= 2) out[m[1]] = raw.slice(1, -1)
    else out[m[1]] = raw
  }
  return out
}

function cpuInfo(lines: string[]): Pick<Facts['cpu'], 'model' | 'vendor' | 'virtFlags'> {
  const field = (name: string): string => {
    const line = lines.find((l) => l.split(':')[0].trim() === name)
    return line === undefined ? '' : line.slice(line.indexOf(':') + 1).trim()
  }
  const flags = field('flags').split(/\s+/)
  const virtFlags = (['vmx', 'svm'] as const).filter((flag) => flags.includes(flag))
  return { model: field('model name'), vendor: field('vendor_id'), virtFlags }
}

// `ip -o link`: "2: eth0@if5: <…> … link/ether 02:…:01 brd …"; `ip -o addr`: "2: eth0    inet 10.0.0.5/24 …".
function ipInterfaces(links: string[], addrs: string[]): NetInterface[] {
  const byName = new Map<string, NetInterface>()
  for (const line of links) {
    const m = /^\d+:\s+([^:\s]+?)(?:@[^:\s]*)?:\s/.exec(line)
    if (!m) continue
    const mac = /\slink\/\S+\s+([0-9a-f]{2}(?::[0-9a-f]{2})+)/i.exec(line)?.[1] ?? ''
    byName.set(m[1], { name: m[1], mac, addresses: [] })
  }
  for (const line of addrs) {
    const [, name, family, address] = line.split(/\s+/)
    if (family !== 'inet' && family !== 'inet6') continue
    const iface = byName.get(name) ?? { name, mac: '', addresses: [] }
    byName.set(name, iface)
    iface.addresses.push(address.includes('/') ? address : `${address}/${family === 'inet' ? 32 : 128}`)
  }
  return [...byName.values()]
}

// Without iproute2: names and MACs from /sys/class/net, IPv6 from /proc/net/if_inet6, IPv4 from fib_trie + route.
function sysInterfaces(sysnet: string[], inet6: string[], fib: string[], route: string[]): NetInterface[] {
  const byName = new Map<string, NetInterface>()
  const links = sysnet.map((line) => line.split(' ')).sort((a, b) => Number(a[0]) - Number(b[0]))
  for (const [, name, mac = ''] of links) byName.set(name, { name, mac, addresses: [] })
  const add = (name: string, cidr: string): void => {
    const iface = byName.get(name) ?? { name, mac: '', addresses: [] }
    byName.set(name, iface)
    if (!iface.addresses.includes(cidr)) iface.addresses.push(cidr)
  }
  for (const [name, cidr] of ipv4FromFib(fib, route)) add(name, cidr)
  for (const line of inet6) {
    const [hex, , prefix, , , name] = line.trim().split(/\s+/)
    if (!name || !/^[0-9a-f]{32}$/i.test(hex)) continue
    const groups = hex.match(/.{4}/g) ?? []
    const address = new URL(`http://[${groups.join(':')}]`).hostname.slice(1, -1)
    add(name, `${address}/${parseInt(prefix, 16)}`)
  }
  return [...byName.values()]
}

function ipv4FromFib(fib: string[], route: string[]): Array<[string, string]> {
  const locals: string[] = []
  let last = ''
  for (const line of fib) {
    const leaf = /\|--\s+(\d+\.\d+\.\d+\.\d+)/.exec(line)
    if (leaf) last = leaf[1]
    else if (/^\s*\/32 host LOCAL/.test(line) && last && !locals.includes(last)) locals.push(last)
  }
  const routes = route
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length >= 8 && f[2] === '00000000')
    .map(([name, dest, , , , , , mask]) => ({ name, dest: leHex(dest), mask: leHex(mask) }))
    .filter((r) => r.mask !== 0)
  return locals.map((address) => {
    const value = ipv4Value(address)
    const best = routes
      .filter((r) => ((value & r.mask) >>> 0) === r.dest)
      .sort((x, y) => bits(y.mask) - bits(x.mask))[0]
    if (best) return [best.name, `${address}/${bits(best.mask)}`]
    return address.startsWith('127.') ? ['lo', `${address}/8`] : ['', `${address}/32`]
  })
}

function leHex(hex: string): number {
  const bytes = (hex.match(/../g) ?? []).reverse().join('')
  return parseInt(bytes, 16) >>> 0
}

function ipv4Value(address: string): number {
  return address.split('.').reduce((acc, part) => ((acc << 8) | Number(part)) >>> 0, 0)
}

function bits(mask: number): number {
  let n = 0
  for (let m = mask; m !== 0; m = (m << 1) >>> 0) n++
  return n
}
