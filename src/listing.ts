import type { PlayPlan } from './engine/plan.ts'
import type { Play } from './playbook/index.ts'

export interface ListedPlay {
  spec: Play
  plan: PlayPlan
  hosts: string[]
}

// --list-hosts, --list-tasks and --list-tags in ansible-playbook's layout, so habits carry over.
export function formatListing(playbook: string, plays: ListedPlay[], what: { hosts: boolean; tasks: boolean; tags: boolean }): string {
  const lines = ['', `playbook: ${playbook}`]
  plays.forEach(({ spec, plan, hosts }, i) => {
    lines.push('', `  play #${i + 1} (${spec.hosts}): ${spec.name}\tTAGS: [${spec.tags.join(', ')}]`)
    if (what.hosts) {
      lines.push(`    pattern: ['${spec.hosts}']`, `    hosts (${hosts.length}):`, ...hosts.map((h) => `      ${h}`))
    }
    if (what.tasks) {
      lines.push('    tasks:')
      for (const t of plan.tasks) lines.push(`      ${t.ref.role} : ${t.ref.name}\tTAGS: [${t.tags.join(', ')}]${t.ref.once ? '\t(once, after all hosts)' : ''}`)
    }
    if (what.tags) {
      const tags = [...new Set(plan.tasks.flatMap((t) => t.tags))].sort()
      lines.push(`      TASK TAGS: [${tags.join(', ')}]`)
    }
  })
  return `${lines.join('\n')}\n`
}
