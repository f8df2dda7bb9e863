import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BIN, ROOT } from '../test/helpers/labplay.ts'
import { expectOk, timed, type Sample } from './measure.ts'
import { summarizeProfileDir, type ProfileSummary } from './profile.ts'
import type { PlaybookName } from './room.ts'

// Start-up cost with nothing to contact: what an admin waits for before the first connection.
export interface StartupResult {
  samples: Map<string, Sample[]>
  profiles: Map<string, ProfileSummary>
}

// A 250-seat campus (m5 and m6 widened to 125 seats each) with the example inventory's group_vars.
function bigInventory(dir: string): string {
  const inv = join(dir, 'inventory')
  cpSync(join(ROOT, 'inventory'), inv, { recursive: true })
  writeFileSync(join(inv, 'hosts'), [
    '[m5]', 'm5-[001:125]', '[m6]', 'm6-[001:125]', '[rooms:children]', 'm5', 'm6', '[windows:children]', 'rooms', '',
  ].join('\n'))
  return inv
}

// `node -e 0` is the floor of any Node CLI; --version and --list-hosts are labplay's two fastest paths.
export async function benchStartup(rounds: number, playbook: PlaybookName, log: (l: string) => void): Promise<StartupResult> {
  const dir = mkdtempSync(join(tmpdir(), 'labplay-bench-startup-'))
  try {
    const inv = bigInventory(dir)
    const book = join(ROOT, 'playbooks', `${playbook}.yml`)
    const cases: Array<[string, string[]]> = [
      ['node -e 0', ['-e', '0']],
      ['labplay --version', [BIN, '--version']],
      ['labplay --list-hosts (250 hosts)', [BIN, book, '-i', inv, '--list-hosts']],
    ]
    const samples = new Map<string, Sample[]>(cases.map(([name]) => [name, []]))
    const env = { ...process.env, NO_COLOR: '1' }
    for (const [, args] of cases) await timed(undefined, ['node', ...args], { env, cwd: dir })
    for (let r = 1; r <= rounds; r++) {
      for (const [name, args] of cases) {
        const s = await timed(undefined, ['node', ...args], { env, cwd: dir })
        expectOk(name, s, (x) => (name.includes('list-hosts') && !x.stdout.includes('m6-125') ? 'm6-125 not listed' : undefined))
        samples.get(name)!.push(s)
        log(`startup round ${r}/${rounds} ${name}: ${s.wallS.toFixed(2)} s`)
      }
    }
    const profiles = new Map<string, ProfileSummary>()
    for (const [name, args] of cases.slice(1)) {
      const prof = mkdtempSync(join(dir, 'prof-'))
      expectOk(`${name} --cpu-prof`, await timed(undefined, ['node', '--cpu-prof', `--cpu-prof-dir=${prof}`, ...args], { env, cwd: dir }), () => undefined)
      profiles.set(name, summarizeProfileDir(prof))
    }
    return { samples, profiles }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
