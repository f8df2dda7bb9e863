import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createReadStream, mkdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { ImageManifest } from '../../src/sdk/manifest.ts'


// A real qcow2 holding `dataMb` of data, and its manifest (the `image` variable the roles expect).
export async function makeImage(dir: string, opts: { dataMb: number; name?: string; version?: string }): Promise<ImageManifest> {
  mkdirSync(dir, { recursive: true })
  const name = opts.name ?? 'win11-lab'
  const version = opts.version ?? 'test'
  const file = join(dir, `${name}-${version}.qcow2`)
  const steps = [['qemu-img', 'create', '-q', '-f', 'qcow2', file, '256M'], ['qemu-io', '-f', 'qcow2', '-c', `write -P 0x5a 0 ${opts.dataMb}M`, file]]
  for (const [cmd, ...args] of steps) {
    const r = spawnSync(cmd!, args, { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`)
  }
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer)
  return { name, version, size: statSync(file).size, sha256: hash.digest('hex'), source: file }
}
