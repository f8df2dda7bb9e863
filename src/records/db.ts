import Database from 'better-sqlite3'
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { InputError } from '../errors.ts'
import { SCHEMA, SCHEMA_VERSION } from './schema.ts'

// The run record, opened: `db` is public so readers (history, show, report, stale) write their own queries.
export interface Records {
  readonly db: Database.Database
  readonly path: string
  close(): void
}

// Reading the record before any run wrote it: a clear line for the user, not a SQLite error.
export class NoRecordsError extends InputError {}

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

// Opens (a writer: creates the folder 0700, the file 0600 and the schema) with WAL and a busy timeout,
// so two labplay runs at once wait for each other instead of failing. Readers never create anything.
export function openRecords(path: string, opts: { readonly?: boolean } = {}): Records {
  const file = resolve(path)
  if (opts.readonly) {
    if (!existsSync(file)) throw new NoRecordsError(`no runs recorded yet at ${file}`)
  } else {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
    // Facts and command lines are nobody else's business: the file (and SQLite's -wal/-shm, which copy its mode) is 0600.
    if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600))
  }
  const db = new Database(file, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false })
  try {
    db.pragma('busy_timeout = 5000')
    if (!opts.readonly) {
      db.pragma('journal_mode = WAL')
      db.pragma('foreign_keys = ON')
      db.transaction(() => {
        db.exec(SCHEMA)
        db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run('schema_version', String(SCHEMA_VERSION))
      })()
    }
    checkVersion(db, file)
  } catch (err) {
    db.close()
    throw err
  }
  return { db, path: file, close: () => db.close() }
}

// A record written by a newer labplay is not read (or written) by an older one.
function checkVersion(db: Database.Database, file: string): void {
  const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get()
  if (!hasMeta) throw new NoRecordsError(`no runs recorded yet at ${file}`)
  const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined
  const version = Number(row?.value ?? 0)
  if (version > SCHEMA_VERSION) throw new InputError(`${file}: run record of schema version ${version}, this labplay reads version ${SCHEMA_VERSION} at most (upgrade labplay)`)
}
