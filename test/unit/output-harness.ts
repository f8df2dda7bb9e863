import type { Reporter, TaskRef } from '../../src/engine/events.ts'

// Shared by output-live.test.ts and output-plain.test.ts: a room of hosts, a checklist of tasks, and the
// event storm that both reporters must take cheaply.

// A room's worth of host names: m5-001, m5-002, …
export const hostsOf = (n: number): string[] => Array.from({ length: n }, (_, i) => `m5-${String(i + 1).padStart(3, '0')}`)

const roles = ['kvm-module', 'vm-image', 'samba-loopback', 'gdm-session', 'udpcast']

// Tasks spread over the five roles; udpcast's run once, as in site.yml.
export const tasksOf = (n: number): TaskRef[] => Array.from({ length: n }, (_, i): TaskRef => ({
  index: i, role: roles[i % roles.length], name: `outcome number ${i} of the lab checklist`, once: roles[i % roles.length] === 'udpcast', handler: false,
}))

// Every host ends every task, one in five changed, as one play; returns the milliseconds the reporter took.
export function eventStorm(reporter: Reporter, hosts: string[], tasks: TaskRef[]): number {
  const started = performance.now()
  reporter.event({ type: 'play-start', play: 'site', hosts, tasks })
  for (const task of tasks) {
    for (const [i, host] of hosts.entries()) {
      reporter.event({ type: 'task-end', host, task, result: { status: i % 5 ? 'ok' : 'changed', changed: i % 5 === 0, durationMs: 5 } })
    }
  }
  reporter.event({ type: 'play-end', play: 'site' })
  return performance.now() - started
}
