// The run record's rows as the store (src/records/store.ts) reads and writes them: camelCase, booleans
// as booleans, JSON columns parsed. Times are ISO-8601 UTC strings; null is a column SQLite left empty.

// A run's own row: what was run, by whom, when, and how it ended (null: not finished).
export interface RunRow {
  id: number
  playbook: string
  command: string
  user: string
  startedAt: string
  endedAt: string | null
  exitCode: number | null
  check: boolean
  limit: string | null
  tags: string | null
}

// One run as `labplay history` lists it (and --json prints it): its hosts counted by outcome.
export interface RunLine extends RunRow {
  durationMs: number | null
  hosts: number
  ok: number
  changed: number
  failed: number
  unreachable: number
  interrupted: number
}

// One task's result on one host, in the order the host ran them.
export interface TaskLine {
  play: string
  role: string
  task: string
  status: string
  changed: boolean
  durationMs: number
  message: string | null
  diff: string | null
}

// One host of a run: its PLAY RECAP line, how it ended, its tasks.
export interface RunHost {
  host: string
  status: string
  ok: number
  changed: number
  failed: number
  skipped: number
  unreachable: number
  message: string | null
  tasks: TaskLine[]
}

// One run as `labplay show` tells it.
export interface RunDetail extends RunRow {
  hosts: RunHost[]
}

// A host as its last run and last contact left it (the report's room view).
export interface HostRecord {
  host: string
  lastRunId: number | null
  lastRunAt: string | null
  lastStatus: string | null
  lastMessage: string | null
  contactAt: string | null
  kernelRunning: string | null
  kernelNewest: string | null
  // h.state(key, value) reports, the newest of each key ({} when none or damaged).
  state: Record<string, unknown>
}

// The image versions a host held at its last contact, as vm-image reported them (`labplay image list`, `rollback`).
export interface ImageHolding {
  host: string
  // The version vm-image last verified there (h.state 'image'); null: never reported.
  current: string | null
  // The versions on its disk, oldest first, the current one included (h.state 'images'; [current] when only that is known).
  kept: string[]
  lastRunAt: string | null
}

// One role on one host: its last outcome, and its last success with the inputs it had then (--stale).
export interface RoleState {
  host: string
  role: string
  lastStatus: string
  lastRunId: number
  lastAt: string
  successRunId: number | null
  successAt: string | null
  // JSON, as the recorder stored it (null: a success recorded without inputs).
  successInputs: string | null
}

// A run's row as it starts.
export interface RunStart {
  playbook: string
  command: string
  user: string
  startedAt: string
  check: boolean
  limit?: string
  tags?: string[]
}

// The rest of a run, written when it ends.
export interface RunEnd {
  endedAt: string
  exitCode: number
  hosts: HostEnd[]
}

// One host at the end of a run: every column already bounded by the recorder.
export interface HostEnd extends RunHost {
  // Facts were read from the host in this run (facts as JSON, null when past its bound).
  contact?: { at: string; facts: string | null; kernelRunning: string | null; kernelNewest: string | null; macs: string[] }
  // What h.state reported in this run: merged over what earlier runs reported.
  state?: Record<string, string>
  // Each role the host ran tasks of; `success` when it counts as the role's last success (with its inputs as JSON).
  roles: Array<{ role: string; status: string; success?: { inputs: string | null } }>
}
