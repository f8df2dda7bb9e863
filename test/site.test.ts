import test from 'ava'
import { writeFileSync } from 'node:fs'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLab, type Lab } from './lab/lab.ts'
import { fingerprint, reportsButChangesNothing } from './helpers/host-state.ts'
import { makeImage } from './helpers/image.ts'
import { BIN, cleanUp, parseRecap, ROOT, type Ran } from './helpers/labplay.ts'

// site.yml on a simulated room M5 of 18 seats, with the example campus inventory, as the demo runs it.
let lab: Lab
let dir: string
let manifest: string

test.before(async () => {
  lab = await createLab({ hosts: 18, prefix: 'm5' })
  dir = mkdtempSync(join(tmpdir(), 'labplay-site-'))
  manifest = join(dir, 'image.json')
  writeFileSync(manifest, JSON.stringify({ image: await makeImage(join(dir, 'source'), { dataMb: 8, version: 'site' }) }))
})

test.after.always(() => cleanUp(lab, dir))

async function site(...args: string[]): Promise<Ran> {
  const argv = ['node', BIN, join(ROOT, 'playbooks/site.yml'), '-i', join(ROOT, 'inventory'), '-i', lab.inventory, '-l', 'm5',
    '-e', `@${manifest}`, '--known-hosts', lab.knownHosts, ...args]
  const out = await lab.controller(argv, { cwd: dir, env: { ...process.env, NO_COLOR: '1' }, timeoutMs: 300_000 })
  return { ...out, recap: parseRecap(out.stdout) }
}

// Every path a role could touch, and whether smbd runs.
const STATE = `${fingerprint(['/etc', '/srv', '/usr/local', '/var/tmp'])}; pgrep -c -x smbd || true`

test.serial('check mode on a fresh room changes nothing on any seat', async (t) => {
  const ran = await reportsButChangesNothing(t, lab, lab.hosts.map((h) => h.name), STATE, () => site('-C'))
  t.is(ran.recap.size, 18, ran.stdout + ran.stderr)
})

test.serial('site.yml sets up all 18 seats; a second run reports changed=0 on every seat', async (t) => {
  const first = await site()
  t.is(first.code, 0, first.stdout + first.stderr)
  t.is(first.recap.size, 18)
  const second = await site()
  t.is(second.code, 0, second.stdout + second.stderr)
  for (const h of lab.hosts) t.like(second.recap.get(h.name), { changed: 0, failed: 0, unreachable: 0 }, h.name)
})
