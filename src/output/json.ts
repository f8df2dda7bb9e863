import type { HostSummary, RunSummary } from '../engine/events.ts'
import { writeAtomic } from './atomic.ts'
import { jsonText } from './terminal-text.ts'

// A task's result for machines: fixed keys in a fixed order; diffs stay out (file contents may be secret).
function taskJson(t: HostSummary['tasks'][number]): Record<string, unknown> {
  const out: Record<string, unknown> = {
    play: t.play,
    role: t.role,
    task: t.task,
    status: t.status,
    changed: t.changed,
    durationMs: t.durationMs,
  }
  if (t.message !== undefined) out.message = t.message
  if (t.warnings?.length) out.warnings = [...t.warnings]
  return out
}

// The --json document: built key by key, so the order is the contract, not an accident of the engine.
function summaryJson(summary: RunSummary): Record<string, unknown> {
  return {
    playbook: summary.playbook,
    startedAt: summary.startedAt,
    durationMs: summary.durationMs,
    check: summary.check,
    interrupted: summary.interrupted,
    exitCode: summary.exitCode,
    hosts: summary.hosts.map((h) => ({
      host: h.host,
      ok: h.ok,
      changed: h.changed,
      unreachable: h.unreachable,
      failed: h.failed,
      skipped: h.skipped,
      warnings: [...h.warnings],
      tasks: h.tasks.map(taskJson),
      // --stale only: each role's verdict on this host (runs or not, and why).
      ...(h.selection ? { selection: h.selection.map((x) => ({ role: x.role, run: x.run, reason: x.reason })) } : {}),
    })),
  }
}

// `--json FILE` (written atomically) or `--json -` (stdout, resolved once flushed).
export async function writeJsonSummary(summary: RunSummary, file: string): Promise<void> {
  const text = jsonText(summaryJson(summary))
  if (file !== '-') return writeAtomic(file, text)
  await new Promise<void>((resolve, reject) => process.stdout.write(text, (error) => (error ? reject(error) : resolve())))
}
