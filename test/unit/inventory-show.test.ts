import test from 'ava'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { InputError } from '../../src/errors.ts'
import { loadInventory } from '../../src/inventory/index.ts'
import { showGraph, showHost } from '../../src/inventory/show.ts'

const dir = mkdtempSync(join(tmpdir(), 'labplay-inv-show-'))
writeFileSync(join(dir, 'hosts'), '[m5]\nm5-[01:02] samba_password=clear-text-pw become_pass="{{ vault_become }}"\n')

test('a secret-named value written in clear is masked; a template stays as written', async (t) => {
  const inv = await loadInventory([join(dir, 'hosts')])
  const out = JSON.parse(showHost(inv, 'm5-01', { extra_token: 'from-cli-token' }, dir)) as Record<string, unknown>
  t.deepEqual(out, { samba_password: '********', become_pass: '{{ vault_become }}', extra_token: '********' })
  t.regex(showGraph(inv, 'm5', { vars: true, playbookGroupVars: false }, {}), /--\{samba_password = \*{8}\}/)
})

test('--host needs exactly one host, --graph a group', async (t) => {
  const inv = await loadInventory([join(dir, 'hosts')])
  t.throws(() => showHost(inv, 'm5-0*', {}, dir), { instanceOf: InputError, message: /matches 2 hosts, expected a single host/ })
  t.throws(() => showGraph(inv, 'm9', { vars: false, playbookGroupVars: false }, {}), { instanceOf: InputError, message: /expected the name of a group/ })
})
