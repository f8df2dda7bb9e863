import test from 'ava'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createLab, type Lab } from './lab/lab.ts'
import { BIN, cleanUp, project } from './helpers/labplay.ts'

// known_hosts shared by concurrent labplay runs (an admin's terminal and a cron job, several rooms at
// once): every run accepts the new keys and the file ends with exactly one line per host.
const PROCESSES = 6
const ROUNDS = 5
let lab: Lab
let dir: string

test.before(async () => {
  lab = await createLab({ hosts: 6 })
  dir = project({ 'site.yml': '- hosts: lab\n  roles: [lab-notice]\n' })
})

test.after.always(() => cleanUp(lab, dir))

test(`${PROCESSES} runs at once accepting the same new host keys leave one line per host, in each of ${ROUNDS} rounds`, async (t) => {
  const names = lab.hosts.map((h) => h.address)
  for (let round = 1; round <= ROUNDS; round++) {
    const file = join(dir, `known_hosts-${round}`)
    const runs = await Promise.all(Array.from({ length: PROCESSES }, () =>
      lab.controller(['node', BIN, join(dir, 'site.yml'), '-C', '-i', lab.inventory, '--known-hosts', file], { cwd: dir, env: { ...process.env, NO_COLOR: '1' }, timeoutMs: 120_000 })))
    for (const r of runs) t.is(r.code, 0, r.stdout + r.stderr)
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean)
    t.deepEqual(lines.map((l) => l.split(' ')[0]).sort(), [...names].sort(), `round ${round}: one line per host\n${lines.join('\n')}`)
    t.true(lines.every((l) => /^\S+ ssh-ed25519 [A-Za-z0-9+/]+=*$/.test(l)), `round ${round}: whole lines`)
    t.false(existsSync(`${file}.lock`), `round ${round}: no lock left`)
  }
})
