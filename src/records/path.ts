import { homedir } from 'node:os'
import { join, resolve } from 'node:path'

// Where the record lives when nobody says otherwise: per user, with the rest of labplay's state.
export function defaultRecordsPath(): string {
  const state = process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state')
  return join(state, 'labplay', 'runs.db')
}

// --records beats LABPLAY_RECORDS beats the default; --no-records: no record at all (undefined).
export function recordsPath(o: { records?: string; noRecords?: boolean }): string | undefined {
  if (o.noRecords) return undefined
  const path = o.records ?? (process.env.LABPLAY_RECORDS || undefined) ?? defaultRecordsPath()
  return resolve(path)
}
