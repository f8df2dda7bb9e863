import { posix } from 'node:path'
import type { Vars } from '../vars.ts'

// The image manifest (group_vars `image`): udpcast delivers these bytes, vm-image verifies and installs them.
export interface ImageManifest {
  name: string
  version: string
  // Bytes.
  size: number
  sha256: string
  // A path on the sender (the controller unless udpcast_sender_host names a host); '' where nothing sends.
  source: string
}

// The variables udpcast and vm-image share, read by one rule so that no room receives an image that the next
// role then refuses.
export interface ImageVars {
  manifest: ImageManifest
  // Absolute, without a trailing slash, never '/'.
  imagesDir: string
}

// Plain characters only: a folder's path reaches QEMU's -drive option (where a comma starts another option),
// tmpfiles.d lines and messages, never only quoted shell words.
const FOLDER = /^\/[A-Za-z0-9._/-]*$/
const SHA256 = /^[0-9a-fA-F]{64}$/

// Reads `image` and `images_dir`: every problem at once, each naming its variable ("expected …, got …").
export function readImageManifest(vars: Vars): { image?: ImageVars; problems: string[] } {
  const problems: string[] = []
  const manifest = readManifest(vars.image, problems)
  const imagesDir = readFolder('images_dir', vars.images_dir, problems)
  return manifest && problems.length === 0 ? { image: { manifest, imagesDir }, problems } : { problems }
}

// One manifest alone (`image publish` checks what it writes, and each history entry): the same rules as readImageManifest.
export function checkManifest(value: unknown): { manifest?: ImageManifest; problems: string[] } {
  const problems: string[] = []
  const manifest = readManifest(value, problems)
  return manifest ? { manifest, problems } : { problems }
}

// A folder a role writes into: absolute, plain characters, no '.', '..' or empty component; a trailing slash
// is dropped (`/data/` is `/data`).
export function readFolder(key: string, value: unknown, problems: string[]): string {
  const path = typeof value === 'string' && value.length > 1 ? value.replace(/\/+$/, '') : String(value ?? '')
  if (!FOLDER.test(path) || posix.normalize(path) !== path || path === '/') {
    problems.push(`${key}: expected an absolute path of letters, digits, '.', '_', '-' and '/', got ${show(value)}`)
  }
  return path
}

// name and version make a file name: one plain path component.
export function isImageName(text: string): boolean {
  return /^[A-Za-z0-9._-]+$/.test(text) && text !== '.' && text !== '..'
}

// `<name>-<version>.qcow2`: the versioned file, in images_dir.
export function imageFileName(name: string, version: string): string {
  return `${name}-${version}.qcow2`
}

export function imageFile(image: ImageVars, version = image.manifest.version): string {
  return `${image.imagesDir}/${imageFileName(image.manifest.name, version)}`
}

function readManifest(value: unknown, problems: string[]): ImageManifest | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push(`image: expected the image manifest (name, version, size, sha256, source), got ${show(value)}`)
    return undefined
  }
  const m = value as Record<string, unknown>
  if (m.name === '' && m.version === '' && m.sha256 === '') {
    problems.push('image: no image manifest is set: give image.name, image.version, image.size and image.sha256 in group_vars')
    return undefined
  }
  const before = problems.length
  for (const key of ['name', 'version'] as const) {
    const text = typeof m[key] === 'string' || typeof m[key] === 'number' ? String(m[key]) : undefined
    if (text === undefined) problems.push(`image.${key}: expected a string, got ${show(m[key])}`)
    else if (!isImageName(text)) problems.push(`image.${key}: expected letters, digits, '.', '_' or '-' only (it names a file), got ${show(m[key])}`)
  }
  const size = typeof m.size === 'string' && /^\d+$/.test(m.size) ? Number(m.size) : m.size
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size <= 0) problems.push(`image.size: expected the image's size in bytes (> 0), got ${show(m.size)}`)
  if (typeof m.sha256 !== 'string' || !SHA256.test(m.sha256)) problems.push(`image.sha256: expected 64 hex digits, got ${show(m.sha256)}`)
  const source = m.source ?? ''
  if (typeof source !== 'string' || (source !== '' && (!source.startsWith('/') || source.includes('\n')))) {
    problems.push(`image.source: expected an absolute path on the sender, got ${show(m.source)}`)
  }
  if (problems.length > before) return undefined
  return { name: String(m.name), version: String(m.version), size: size as number, sha256: (m.sha256 as string).toLowerCase(), source: source as string }
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing'
  const s = JSON.stringify(value) ?? String(value)
  return s.length > 80 ? `${s.slice(0, 77)}...` : s
}
