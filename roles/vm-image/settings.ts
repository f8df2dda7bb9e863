import { list, quote, readFolder, readImageManifest, type ImageManifest } from 'labplay'

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

const DISPLAY = /^[A-Za-z0-9=,._-]+$/
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/
const PACKAGE = /^[a-z0-9][a-z0-9+.-]*$/

// Every problem at once, so an admin fixes group_vars in one go.
export function readSettings(vars: Record<string, unknown>): { settings?: Settings; problems: string[] } {
  const { image, problems } = readImageManifest(vars)
  const overlayDir = readFolder('overlay_dir', vars.overlay_dir, problems)
  const keep = readCount('images_keep', vars.images_keep, 1, problems)
  const memoryMb = readCount('vm_memory_mb', vars.vm_memory_mb, 0, problems)
  const cpus = readCount('vm_cpus', vars.vm_cpus, 0, problems)
  const display = String(vars.vm_display ?? '')
  if (!DISPLAY.test(display)) problems.push(`vm_display: expected a QEMU -display value such as 'gtk,full-screen=on', got ${show(vars.vm_display)}`)
  const smbAddress = String(vars.vm_smb_address ?? '')
  if (!IPV4.test(smbAddress)) problems.push(`vm_smb_address: expected an IPv4 address in the guest's user network such as 10.0.2.100, got ${show(vars.vm_smb_address)}`)
  const packages = packageNames(vars.vm_packages)
  if (!packages) problems.push(`vm_packages: expected a list of Debian package names, got ${show(vars.vm_packages)}`)
  if (problems.length > 0 || !image || !packages) return { problems }
  return { settings: { image: image.manifest, imagesDir: image.imagesDir, keep, overlayDir, memoryMb, cpus, display, smbAddress, packages }, problems }
}

// A list as the SDK reads one (a comma-separated string from -e too), of package names only.
function packageNames(value: unknown): string[] | undefined {
  try {
    const names = list(value, 'vm_packages')
    return names.every((name) => PACKAGE.test(name)) ? names : undefined
  } catch {
    return undefined
  }
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
