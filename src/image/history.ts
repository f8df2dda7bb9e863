import { appendFile, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Document, isMap, isSeq, LineCounter, parseDocument } from 'yaml'
import { InputError } from '../errors.ts'
import { checkManifest, type ImageManifest } from '../sdk/manifest.ts'

// Every manifest a group ever had, oldest first, in `group_vars/.<group>.image-history.yml`: append-only (an
// entry is never changed or removed), a YAML list that neither Ansible nor labplay loads as variables (the name
// starts with a dot and names no group). `image list` and `image rollback` read it.

// publish: `labplay image publish`; rollback: `labplay image rollback`; found: a manifest that was in
// group_vars before the first publish, kept so that a rollback can return to it.
export type HistoryAction = 'publish' | 'rollback' | 'found'

export interface HistoryEntry {
  // ISO-8601 UTC.
  at: string
  // Login name on the controller.
  by: string
  action: HistoryAction
  image: ImageManifest
}

const ACTIONS: readonly HistoryAction[] = ['publish', 'rollback', 'found']

export function historyPath(groupVarsDir: string, group: string): string {
  return join(groupVarsDir, `.${group}.image-history.yml`)
}

// The entries, oldest first; [] when the file does not exist. A damaged entry is bad input at its line.
export async function readHistory(file: string): Promise<HistoryEntry[]> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
  return parseHistory(text, file)
}

export function parseHistory(text: string, file: string): HistoryEntry[] {
  const lines = new LineCounter()
  const doc = parseDocument(text, { version: '1.1', lineCounter: lines, prettyErrors: false })
  const place = (offset: number | undefined) => ({ file, ...(offset === undefined ? {} : lines.linePos(offset)) })
  if (doc.errors[0]) throw new InputError(`bad YAML: ${doc.errors[0].message.split('\n')[0]}`, place(doc.errors[0].pos[0]))
  if (doc.contents === null) return []
  if (!isSeq(doc.contents)) throw new InputError('expected a list of published manifests', place(doc.contents.range?.[0]))
  return doc.contents.items.map((item) => {
    const at = place((item as { range?: number[] }).range?.[0])
    if (!isMap(item)) throw new InputError('expected an entry with at, by, action and image', at)
    const e = item.toJSON() as Record<string, unknown>
    const when = e.at instanceof Date ? e.at.toISOString() : e.at
    const { manifest, problems } = checkManifest(e.image)
    if (typeof when !== 'string' || Number.isNaN(Date.parse(when))) throw new InputError(`at: expected a time such as 2026-12-05T10:03:22Z, got ${JSON.stringify(e.at)}`, at)
    if (!ACTIONS.includes(e.action as HistoryAction)) throw new InputError(`action: expected ${ACTIONS.join(', ')}, got ${JSON.stringify(e.action)}`, at)
    if (!manifest) throw new InputError(problems.join('; '), at)
    return { at: when, by: String(e.by ?? ''), action: e.action as HistoryAction, image: manifest }
  })
}

// The text that appends `entries`; a new file starts with a comment saying what it is.
export function historyText(entries: HistoryEntry[], group: string, isNew: boolean): string {
  const head = isNew ? `# Every image manifest group ${group} had, oldest first (labplay image publish | rollback). Append-only.\n` : ''
  return head + entries.map((e) => new Document([{ at: e.at, by: e.by, action: e.action, image: { ...e.image } }], { version: '1.1' }).toString({ lineWidth: 0 })).join('')
}

// Appends with one write: the file only ever grows by whole entries.
export async function appendHistory(file: string, entries: HistoryEntry[], group: string, isNew: boolean): Promise<void> {
  await appendFile(file, historyText(entries, group, isNew), { mode: 0o644 })
}

// The distinct images (name and version), the most recently published first, each with its latest entry.
export function versions(history: HistoryEntry[]): HistoryEntry[] {
  const seen = new Map<string, HistoryEntry>()
  for (const e of history) {
    const key = `${e.image.name}\0${e.image.version}`
    seen.delete(key)
    seen.set(key, e)
  }
  return [...seen.values()].reverse()
}
