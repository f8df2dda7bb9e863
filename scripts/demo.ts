import { spawnSync } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createLab, openLab, type Lab } from '../test/lab/lab.ts'
import { makeImage } from '../test/helpers/image.ts'
import { ROOT } from '../test/helpers/labplay.ts'

// The README's main command: a simulated room M5 (real sshd in namespaces), a small Windows-like image
// with its manifest, then `labplay site.yml -l m5` on it with the live view. Run it again: changed=0.
const ID = 'demo'
const HOSTS = Number(process.env.DEMO_HOSTS ?? 18)
const IMAGE_MB = Number(process.env.DEMO_IMAGE_MB ?? 24)

// The image's manifest goes to the run as extra vars (highest precedence), made once per room.
async function manifestFor(lab: Lab): Promise<string> {
  const file = join(lab.dir, 'image.json')
  if (!existsSync(file)) writeFileSync(file, JSON.stringify({ image: await makeImage(join(lab.dir, 'source'), { dataMb: IMAGE_MB, version: 'demo' }) }, null, 2))
  return file
}

const existing = await openLab(ID)
const lab = existing ?? (await createLab({ hosts: HOSTS, name: ID, prefix: 'm5', keep: true }))
const manifest = await manifestFor(lab)
console.log(existing
  ? `room m5: reusing ${lab.hosts.length} simulated seats (${lab.hosts[0]!.name} … ${lab.hosts.at(-1)!.name}); a rerun reports changed=0`
  : `room m5: ${lab.hosts.length} simulated seats up (${lab.hosts[0]!.name} … ${lab.hosts.at(-1)!.name}), image ${manifest}`)
const argv = [
  'netns', 'exec', lab.controllerNs, process.execPath, join(ROOT, 'bin/labplay.js'), process.argv[2] ?? 'site.yml',
  '-i', join(ROOT, 'inventory'), '-i', lab.inventory, '-l', 'm5', '-e', `@${manifest}`, '--known-hosts', lab.knownHosts,
  ...process.argv.slice(3),
]
const ran = spawnSync('ip', argv, { stdio: 'inherit', cwd: ROOT })
console.log(`\nroom m5 stays up: 'npm run demo' again (changed=0), 'npm run demo -- site.yml -C' (check mode), 'npm run lab:down -- --name ${ID}' to remove it`)
process.exit(ran.status ?? 1)
