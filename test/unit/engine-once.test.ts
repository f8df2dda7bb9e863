import test from 'ava'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connectLocal } from '../../src/connection/local.ts'
import { RoleCatalog } from '../../src/engine/roles.ts'
import { runPlaybook } from '../../src/engine/run.ts'
import { loadInventory } from '../../src/inventory/index.ts'
import { loadPlaybook } from '../../src/playbook/index.ts'
import { ROOT } from '../helpers/labplay.ts'

// Play-scoped data over local "hosts" in two batches (serial: 2): what a host task hands over with h.share
// reaches its role's once step for that host only, per batch, never another role's step.
test('h.share → play.shared: per host, per role, per batch; a host whose task did not run has none', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'labplay-play-shared-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const out = join(dir, 'out')
  const playbook = join(dir, 'site.yml')
  writeFileSync(playbook, `- name: shared
  hosts: all
  serial: 2
  roles:
    - role: peeker
      vars: ${JSON.stringify({ out })}
    - role: sharer
      vars: ${JSON.stringify({ out, tag: 'a', skip_on: 'h2' })}
    - role: peeker
      vars: ${JSON.stringify({ out })}
    - role: sharer
      vars: ${JSON.stringify({ out, tag: 'b' })}
`)
  const catalog = await RoleCatalog.load([join(ROOT, 'test/fixtures/play-shared/roles')])
  const outcome = await runPlaybook({
    inventory: await loadInventory(['h1,h2,h3,']), catalog, tags: [], skipTags: [], extraVars: {}, cwd: dir, become: false,
    knownHostsFile: join(dir, 'known_hosts'), hostKeyChecking: 'strict', connectTimeoutMs: 5000,
    playbook, plays: await loadPlaybook(playbook, catalog), check: false, diff: false, forks: 3, timeoutMs: 30_000, verbosity: 0,
    reporter: { event: () => undefined, finish: async () => undefined },
    signal: new AbortController().signal,
    connect: async (target) => connectLocal(target.kind === 'ssh' ? target.ssh.name : target.name),
  })
  t.is(outcome.summary.exitCode, 0)
  t.deepEqual(readFileSync(out, 'utf8').trim().split('\n'), [
    'peeker h1=none/facts h2=none/facts',
    'sharer h1=h1:a h2=none',
    'peeker h1=none/facts h2=none/facts',
    'sharer h1=h1:b h2=h2:b',
    'peeker h3=none/facts',
    'sharer h3=h3:a',
    'peeker h3=none/facts',
    'sharer h3=h3:b',
  ])
})
