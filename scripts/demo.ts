import { spawnSync } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createLab, destroyLab, openLab, type Lab } from '../test/lab/lab.ts'
import { makeImage } from '../test/helpers/image.ts'
import { ROOT } from '../test/helpers/labplay.ts'

// The README's main command: room M5 as real seats (Debian 12 booted with systemd, packages from the lab's
// campus mirror), a small Windows-like image with its manifest, then `labplay site.yml -l m5` on it with the
// live view. The first run installs samba, QEMU and udpcast on bare seats; run it again: changed=0.
const ID = 'demo'
const HOSTS = Number(process.env.DEMO_HOSTS ?? 18)
const IMAGE_MB = Number(process.env.DEMO_IMAGE_MB ?? 24)
if (!Number.isInteger(HOSTS) || HOSTS < 1 || HOSTS > 18) {
  console.error(`DEMO_HOSTS: expected a whole number from 1 to 18 (room m5 has 18 seats), got ${process.env.DEMO_HOSTS}`)
  process.exit(5)
}

// The image's manifest goes to the run as extra vars (highest precedence), made once per room.
async function manifestFor(lab: Lab): Promise<string> {
  const file = join(lab.dir, 'image.json')
  if (!existsSync(file)) writeFileSync(file, JSON.stringify({ image: await makeImage(join(lab.dir, 'source'), { dataMb: IMAGE_MB, version: 'demo' }) }, null, 2))
  return file
}

let existing = await openLab(ID)
if (existing && existing.kind !== 'seat') {
  console.log('room m5: an older demo of namespace hosts is up; replacing it with seats')
  await destroyLab(ID)
  existing = undefined
}
const started = Date.now()
const lab = existing ?? (await createLab({ hosts: HOSTS, kind: 'seat', name: ID, prefix: 'm5', keep: true }))
const manifest = await manifestFor(lab)
const range = `${lab.hosts[0]!.name} … ${lab.hosts.at(-1)!.name}`
console.log(existing
  ? `room m5: reusing ${lab.hosts.length} seats (${range}); a rerun reports changed=0`
  : `room m5: ${lab.hosts.length} bare Debian 12 seats booted with systemd in ${((Date.now() - started) / 1000).toFixed(0)} s (${range}); ` +
    'this first run installs samba, QEMU and udpcast on each from the lab\'s mirror, a few minutes')
// The campus inventory's m5 has 18 seats; a smaller demo room leaves out those it does not have.
const limit = lab.hosts.length === 18 ? 'm5' : 'm5:&lab'
const argv = [
  'netns', 'exec', lab.controllerNs, process.execPath, join(ROOT, 'bin/labplay.js'), process.argv[2] ?? 'site.yml',
  '-i', join(ROOT, 'inventory'), '-i', lab.inventory, '-l', limit, '-e', `@${manifest}`, '--known-hosts', lab.knownHosts,
  ...process.argv.slice(3),
]
const ran = spawnSync('ip', argv, { stdio: 'inherit', cwd: ROOT })
console.log(`\nroom m5 stays up: 'npm run demo' again (changed=0), 'npm run demo -- site.yml -C' (check mode), 'npm run lab:down -- --name ${ID}' to remove it`)
process.exit(ran.status ?? 1)
