// The run record: one SQLite file (better-sqlite3), answering "what ran where, what changed, and what
// each host looked like the last time labplay reached it". Every writer goes through transactions, so a
// run cut short leaves either a run without an end (ended_at NULL, shown as interrupted) or a whole run.
// Times are ISO-8601 UTC strings; JSON columns hold redacted data only (secrets never reach the file).

export const SCHEMA_VERSION = 1

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- One row per labplay run that reached a host (listings and syntax checks are not recorded).
CREATE TABLE IF NOT EXISTS runs (
  id          INTEGER PRIMARY KEY,
  playbook    TEXT NOT NULL,    -- absolute path of the playbook
  command     TEXT NOT NULL,    -- the command line, redacted
  user        TEXT NOT NULL,    -- who ran it (login name on the controller)
  started_at  TEXT NOT NULL,
  ended_at    TEXT,             -- NULL: the run never finished (killed, machine down)
  exit_code   INTEGER,          -- NULL with ended_at NULL
  check_mode  INTEGER NOT NULL, -- 1 for -C
  limit_pattern TEXT,           -- -l, as given
  tags        TEXT              -- -t, comma-separated, as given
);

-- Per run and host: the PLAY RECAP line and how the host ended.
CREATE TABLE IF NOT EXISTS run_hosts (
  run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  host        TEXT NOT NULL,
  status      TEXT NOT NULL,    -- ok | changed | failed | unreachable | interrupted
  ok          INTEGER NOT NULL,
  changed     INTEGER NOT NULL,
  failed      INTEGER NOT NULL,
  skipped     INTEGER NOT NULL,
  unreachable INTEGER NOT NULL,
  message     TEXT,             -- the failure or unreachable message, if any
  PRIMARY KEY (run_id, host)
);

-- Per run, host and task, in the order the host ran them.
CREATE TABLE IF NOT EXISTS task_results (
  id          INTEGER PRIMARY KEY,
  run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  host        TEXT NOT NULL,
  seq         INTEGER NOT NULL, -- 0, 1, 2… within the host
  play        TEXT NOT NULL,
  role        TEXT NOT NULL,
  task        TEXT NOT NULL,
  status      TEXT NOT NULL,    -- ok | changed | failed | skipped | unreachable
  changed     INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  message     TEXT,
  diff        TEXT              -- bounded (DIFF_LIMIT bytes), "… (truncated)" appended when cut
);
CREATE INDEX IF NOT EXISTS task_results_run_host ON task_results (run_id, host, seq);

-- Per host: its last run, and what it looked like at its last successful contact (facts read).
CREATE TABLE IF NOT EXISTS hosts (
  host            TEXT PRIMARY KEY,
  last_run_id     INTEGER,
  last_run_at     TEXT,
  last_status     TEXT,         -- the host's status in its last run (run_hosts.status)
  last_message    TEXT,
  contact_run_id  INTEGER,      -- last run whose facts were read from this host
  contact_at      TEXT,
  facts           TEXT,         -- JSON (src/sdk/facts.types.ts Facts) from that contact
  kernel_running  TEXT,
  kernel_newest   TEXT,         -- newest installed: differs from running = reboot pending
  macs            TEXT,         -- JSON array of the host's MAC addresses (non-loopback)
  state           TEXT          -- JSON object of h.state(key, value) reports (image → version…)
);

-- Per host and role: the last outcome, and the inputs at the last success (for --stale reruns).
CREATE TABLE IF NOT EXISTS role_state (
  host            TEXT NOT NULL,
  role            TEXT NOT NULL,
  last_status     TEXT NOT NULL, -- ok | changed | failed | skipped | unreachable | interrupted
  last_run_id     INTEGER NOT NULL,
  last_at         TEXT NOT NULL,
  success_run_id  INTEGER,       -- last run where every task of the role was ok/changed/skipped
  success_at      TEXT,
  success_inputs  TEXT,          -- JSON: the role's inputs on this host at that success
  PRIMARY KEY (host, role)
);
`

export const DIFF_LIMIT = 64 * 1024
