import { quote, renameWithStamp, stampKeyCommand, stampPath } from 'labplay'
import type { Settings } from './settings.ts'

// udpcast runs in the background of a small script that prints "pid N" at once and "rc N" at the end:
// the role can stop a receiver whose sender is gone (or the other way round) without waiting for
// udpcast's own timeouts, and reads the real exit code (137 when killed) instead of a failed step.
function job(argv: Array<string | number>): string {
  return `{ ${line(argv)} & echo "pid $!"; wait "$!"; echo "rc $?"; }`
}

// What a job's stdout said: its pid once started, its exit code once over.
export function parseJob(stdout: string): { pid?: number; rc?: number } {
  const pid = /^pid (\d+)$/m.exec(stdout)?.[1]
  const rc = /^rc (\d+)$/m.exec(stdout)?.[1]
  return { ...(pid && { pid: Number(pid) }), ...(rc && { rc: Number(rc) }) }
}

const dirOf = (path: string): string => path.slice(0, path.lastIndexOf('/')) || '/'
const line = (argv: Array<string | number>): string => argv.map((a) => quote(String(a))).join(' ')

// The folder exists and no stale .part (or its checksum stamp) is left from an interrupted run.
function prepare(s: Settings): string {
  return `mkdir -p -- ${quote(dirOf(s.final))} && rm -f -- ${quote(s.part)} ${quote(stampPath(s.part))}`
}

// One multicast round's rendezvous: its port pair (ports.ts) and the sender's unicast address.
export interface Rendezvous {
  portbase: number
  sender: string
}

// --mcast-rdv-address: the receiver asks the sender's own address for the stream instead of
// broadcasting the request to the room, where any seat running a udp-sender could answer it first.
export function receiverArgs(s: Settings, iface: string, rdv: Rendezvous): Array<string | number> {
  return [
    'udp-receiver', '--nokbd', '--no-progress',
    '--interface', iface,
    '--portbase', rdv.portbase,
    '--mcast-rdv-address', rdv.sender,
    '--start-timeout', s.startTimeoutS,
    '--receive-timeout', s.receiveTimeoutS,
  ]
}

// The receiver writes the stream to stdout; tee puts it in the .part and sha256sum hashes it on the way,
// so the seat never reads gigabytes back to verify them (with 20 seats sharing a machine's cores, that
// reread was most of the time past the network's limit: BENCHMARKS.md). The sum goes in the .part's
// checksum stamp (the SDK's stamp.ts: sha256, then the key once the file is closed), which
// the role's verification then reads instead of hashing. A failure anywhere in the pipe fails the job.
export function receiverCommand(s: Settings, iface: string, rdv: Rendezvous): string {
  const [part, stamp] = [quote(s.part), quote(stampPath(s.part))]
  const tmp = quote(`${stampPath(s.part)}.tmp`)
  const pipeline = [
    'set -o pipefail',
    `${line(receiverArgs(s, iface, rdv))} | tee -- ${part} | sha256sum >${tmp} || { r=$?; rm -f -- ${tmp}; exit $r; }`,
    `printf '%s %s\\n' "$(cut -d' ' -f1 ${tmp})" "$(${stampKeyCommand(part)})" >${tmp}.2 && mv -f -- ${tmp}.2 ${stamp}; r=$?`,
    `rm -f -- ${tmp}; exit $r`,
  ].join('\n')
  return `${prepare(s)} && { ( ${pipeline}\n) & echo "pid $!"; wait "$!"; echo "rc $?"; }`
}

// --min-wait 0: start as soon as every target is there; --max-wait: start without stragglers after that long.
export function senderArgs(s: Settings, iface: string, receivers: number, portbase: number): Array<string | number> {
  return [
    'udp-sender', '--nokbd',
    '--file', s.manifest.source,
    '--interface', iface,
    '--portbase', portbase,
    '--min-receivers', receivers,
    '--min-wait', 0,
    '--max-wait', s.maxWaitS,
    '--start-timeout', s.startTimeoutS,
    '--max-bitrate', s.maxBitrate,
    '--retries-until-drop', s.retriesUntilDrop,
  ]
}

export function senderCommand(s: Settings, iface: string, receivers: number, portbase: number): string {
  return job(senderArgs(s, iface, receivers, portbase))
}

// A single target: the bytes arrive on stdin through the host's own SSH connection.
export function copyCommand(s: Settings): string {
  return `${prepare(s)} && cat > ${quote(s.part)}`
}

// The sender host is a target itself: a local copy of its own source.
export function localCopyCommand(s: Settings): string {
  return `${prepare(s)} && cp -- ${quote(s.manifest.source)} ${quote(s.part)}`
}

// The verified .part takes the final name in one rename; its checksum stamp follows it.
export function installCommand(s: Settings): string {
  return renameWithStamp(s.part, s.final)
}

export function discardCommand(s: Settings): string {
  return `rm -f -- ${quote(s.part)} ${quote(stampPath(s.part))}`
}

// Exact size in bytes, or nothing when the file is missing (read-only).
export function sizeCommand(path: string): string {
  return `stat -L -c %s -- ${quote(path)} 2>/dev/null`
}

export function routeCommand(address: string): string {
  return `ip -o route get ${quote(address)}`
}

export function resolveCommand(name: string): string {
  return `getent ahostsv4 ${quote(name)} | head -n 1`
}

// A job may be a pipeline in a subshell (the receiver): its processes go first, then the subshell.
export function killCommand(pid: number): string {
  return `pkill -KILL -P ${pid} 2>/dev/null; kill -KILL ${pid} 2>/dev/null || true`
}
