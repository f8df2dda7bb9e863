import test from 'ava'
import type { HostSummary, RunSummary } from '../../src/engine/events.ts'
import { formatRecap, formatSummaryLine } from '../../src/output/index.ts'

// Captured from Debian's ansible-playbook 2.14.18 (ANSIBLE_NOCOLOR=1, output piped), inventory:
//   m5-02 / m5-01 / a-very-long-hostname-beyond-26-chars.lab (local), m5-10 (ssh to a closed port).
// Trailing spaces are Ansible's (`ignored=%-4s`).
const ANSIBLE_RECAP = [
  'PLAY RECAP *********************************************************************',
  'a-very-long-hostname-beyond-26-chars.lab : ok=17   changed=0    unreachable=0    failed=0    skipped=1    rescued=0    ignored=0   ',
  'm5-01                      : ok=18   changed=2    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0   ',
  'm5-02                      : ok=3    changed=0    unreachable=0    failed=1    skipped=1    rescued=0    ignored=0   ',
  'm5-10                      : ok=1    changed=0    unreachable=1    failed=0    skipped=0    rescued=0    ignored=0   ',
].join('\n')

const host = (name: string, counts: Partial<Omit<HostSummary, 'host' | 'tasks'>>): HostSummary => ({
  host: name, ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, tasks: [], warnings: [], ...counts,
})

// Inventory order on purpose: the recap sorts like Python's sorted() (m5-10 before m5-2).
const summary: RunSummary = {
  playbook: 'site.yml',
  startedAt: '2025-01-01T00:00:00.000Z',
  durationMs: 4200,
  check: false,
  interrupted: false,
  exitCode: 2,
  hosts: [
    host('m5-02', { ok: 3, failed: 1, skipped: 1 }),
    host('m5-01', { ok: 18, changed: 2, warnings: ['reboot pending'] }),
    host('m5-10', { ok: 1, unreachable: 1 }),
    host('a-very-long-hostname-beyond-26-chars.lab', { ok: 17, skipped: 1, warnings: ['reboot pending', 'disk 91% full'] }),
  ],
}

test('PLAY RECAP is byte for byte what ansible-playbook prints', (t) => {
  const text = formatRecap(summary, false)
  const start = text.indexOf('PLAY RECAP')
  t.is(text.slice(start, text.indexOf('\n\n', start)), ANSIBLE_RECAP)
})

test('warnings are listed per host above the recap, grouped by message', (t) => {
  const text = formatRecap(summary, false)
  const warnings = text.slice(0, text.indexOf('PLAY RECAP')).trim().split('\n')
  t.deepEqual(warnings, [
    '[WARNING]: reboot pending: m5-01, a-very-long-hostname-beyond-26-chars.lab (2 hosts)',
    '[WARNING]: disk 91% full: a-very-long-hostname-beyond-26-chars.lab',
  ])
})

test('the recap ends with one summary line: hosts by outcome and elapsed time', (t) => {
  const lines = formatRecap(summary, false).trimEnd().split('\n')
  t.is(lines.at(-1), '4 hosts: 2 ok (1 changed), 1 failed, 1 unreachable in 4.2s')
  t.is(lines.at(-2), '')
})

test('summary line: check mode, interruption, singular, minutes', (t) => {
  const one = { ...summary, hosts: [host('m5-01', { ok: 2 })], durationMs: 187_000, check: true, interrupted: true }
  t.is(formatSummaryLine(one, false), '1 host: 1 ok (0 changed), 0 failed, 0 unreachable in 3m07s (check mode) (interrupted)')
})

test('a 5-digit count overflows its field by Ansible\'s rule', (t) => {
  const big = { ...summary, hosts: [host('m5-01', { ok: 12345 })] }
  t.regex(formatRecap(big, false), /^m5-01 {22}: ok=12345 changed=0 {4}unreachable=0/m)
})

test('colour codes only when asked for, and the layout survives them', (t) => {
  t.false(formatRecap(summary, false).includes('\u001B['))
  const colored = formatRecap(summary, true)
  t.true(colored.includes('\u001B[31m'))
  t.is(colored.replace(/\u001B\[[0-9;]*m/g, ''), formatRecap(summary, false))
})
