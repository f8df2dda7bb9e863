import { posix } from 'node:path'
import { quote, type ImageManifest } from 'labplay'

// What the group_vars manifest promises about the image's bytes (its source is udpcast's business).
export type Manifest = Omit<ImageManifest, 'source'>

// The role's variables, checked and in the shapes the tasks use.
export interface Settings {
  image: Manifest
  imagesDir: string
  keep: number
  overlayDir: string
  // 0 asks for the size computed from the host's facts.
  memoryMb: number
  cpus: number
  display: string
  smbAddress: string
  packages: string[]
}

// File names built from name and version stay one plain path component.
export const SAFE_NAME = /^[A-Za-z0-9._-]+$/
const SAFE_PATH = /^\/[A-Za-z0-9._/-]*$/
const DISPLAY = /^[A-Za-z0-9=,._-]+$/
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/
const PACKAGE = /^[a-z0-9][a-z0-9+.-]*$/

// Every problem at once, so an admin fixes group_vars in one go.
export function readSettings(vars: Record<string, unknown>): { settings?: Settings; problems: string[] } {
  const problems: string[] = []
  const image = readManifest(vars.image, problems)
  const imagesDir = readPath('images_dir', vars.images_dir, problems)
  const overlayDir = readPath('overlay_dir', vars.overlay_dir, problems)
  const keep = readCount('images_keep', vars.images_keep, 1, problems)
  const memoryMb = readCount('vm_memory_mb', vars.vm_memory_mb, 0, problems)
  const cpus = readCount('vm_cpus', vars.vm_cpus, 0, problems)
  const display = String(vars.vm_display ?? '')
  if (!DISPLAY.test(display)) problems.push(`vm_display: expected a QEMU -display value such as 'gtk,full-screen=on', got ${show(vars.vm_display)}`)
  const smbAddress = String(vars.vm_smb_address ?? '')
  if (!IPV4.test(smbAddress)) problems.push(`vm_smb_address: expected an IPv4 address in the guest's user network such as 10.0.2.100, got ${show(vars.vm_smb_address)}`)
  const packages = Array.isArray(vars.vm_packages) ? vars.vm_packages.map(String) : []
  if (!Array.isArray(vars.vm_packages) || packages.some((p) => !PACKAGE.test(p))) {
    problems.push(`vm_packages: expected a list of Debian package names, got ${show(vars.vm_packages)}`)
  }
  if (problems.length > 0 || !image) return { problems }
  return { settings: { image, imagesDir, keep, overlayDir, memoryMb, cpus, display, smbAddress, packages }, problems }
}

function readManifest(value: unknown, problems: string[]): Manifest | undefined {
  const before = problems.length
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push(`image: expected the image manifest (name, version, size, sha256), got ${show(value)}`)
    return undefined
  }
  const m = value as Record<string, unknown>
  if (m.name === '' && m.version === '' && m.sha256 === '') {
    problems.push('image: no image manifest is set: give image.name, image.version, image.size and image.sha256 in group_vars')
    return undefined
  }
  for (const key of ['name', 'version'] as const) {
    if (typeof m[key] !== 'string' && typeof m[key] !== 'number') problems.push(`image.${key}: expected a string, got ${show(m[key])}`)
    else if (!SAFE_NAME.test(String(m[key]))) problems.push(`image.${key}: expected letters, digits, '.', '_' or '-' only (it names a file), got ${show(m[key])}`)
  }
  const size = typeof m.size === 'string' && /^\d+$/.test(m.size) ? Number(m.size) : m.size
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size <= 0) problems.push(`image.size: expected the image's size in bytes (> 0), got ${show(m.size)}`)
  if (typeof m.sha256 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(m.sha256)) problems.push(`image.sha256: expected 64 hex digits, got ${show(m.sha256)}`)
  if (problems.length > before) return undefined
  return { name: String(m.name), version: String(m.version), size: size as number, sha256: (m.sha256 as string).toLowerCase() }
}

function readPath(key: string, value: unknown, problems: string[]): string {
  const path = String(value ?? '')
  if (!SAFE_PATH.test(path) || posix.normalize(path) !== path || path === '/' || path.endsWith('/')) {
    problems.push(`${key}: expected an absolute path of letters, digits, '.', '_', '-' and '/', got ${show(value)}`)
  }
  return path
}

// Whole numbers from YAML (numbers) or from `-e k=v` (strings).
function readCount(key: string, value: unknown, min: number, problems: string[]): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min) {
    problems.push(`${key}: expected a whole number${min > 0 ? ` of at least ${min}` : ' (0: sized from the host)'}, got ${show(value)}`)
    return min
  }
  return n
}

function show(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value)
}

// "win11-lab 2026.11", as messages name an image.
export function imageLabel(m: Manifest): string {
  return `${m.name} ${m.version}`
}

export function versionFile(name: string, version: string): string {
  return `${name}-${version}.qcow2`
}

// The stable name sessions start from; it links to the current version's file.
export function linkPath(s: Settings): string {
  return `${s.imagesDir}/${s.image.name}.qcow2`
}

// Versions this role made current, most recent last: what it may later remove.
export function registryPath(s: Settings): string {
  return `${s.imagesDir}/.${s.image.name}.versions`
}

// Half the host's memory, at most 8 GiB, at least 1 GiB: the student's Linux session keeps the rest.
export function guestMemoryMb(override: number, hostMb: number): number {
  if (override > 0) return override
  return Math.max(1024, Math.min(8192, Math.floor(hostMb / 2)))
}

// One CPU stays with the host.
export function guestCpus(override: number, hostCpus: number): number {
  if (override > 0) return override
  return Math.max(1, hostCpus - 1)
}

// KEY=value lines the static launcher sources; every value quoted for bash.
export function launcherConfig(s: Settings, memoryMb: number, cpus: number): string {
  const lines: Array<[string, string | number]> = [
    ['IMAGE', linkPath(s)],
    ['OVERLAY_DIR', s.overlayDir],
    ['MEMORY_MB', memoryMb],
    ['CPUS', cpus],
    ['SMB_ADDRESS', s.smbAddress],
    ['DISPLAY_MODE', s.display],
  ]
  return [
    "# Written by labplay's vm-image role; read by /usr/local/bin/labvm.",
    ...lines.map(([key, value]) => `${key}=${quote(String(value))}`),
    '',
  ].join('\n')
}

// systemd-tmpfiles: create the folder (sticky, like /tmp) and empty it at every boot (`D` acts on --remove).
export function tmpfilesConfig(s: Settings): string {
  return `# Written by labplay's vm-image role: labvm's session overlays, emptied at boot.\nD ${s.overlayDir} 1777 root root -\n`
}
