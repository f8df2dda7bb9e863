import { rm } from 'node:fs/promises'
import { writeAtomic } from './atomic.ts'

// `<playbook>.retry` for `-l @file`: one host per line like Ansible; a clean run leaves none behind.
export async function writeRetryFile(path: string, hosts: string[]): Promise<void> {
  const unique = [...new Set(hosts)]
  if (unique.length === 0) return rm(path, { force: true })
  await writeAtomic(path, `${unique.join('\n')}\n`)
}
