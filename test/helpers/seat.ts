import { run } from '../lab/run.ts'
import type { SeatLab } from '../lab/lab.ts'

// What a seat is made of, for "changed nothing" checks: every path of its disk (the overlay's upper dir:
// all the seat ever wrote over the base) with type, mode, owners, size and mtime, then the units that
// run and the sockets that listen. Left out: the journal, logind's units for root's sessions (every
// SSH login writes the one and starts the others, which outlive the login by a moment), and systemd's
// run-credentials mounts, which systemd itself unmounts when it settles after boot (CI saw
// systemd-tmpfiles-setup's go between two fingerprints of an untouched seat).
export async function seatFingerprint(lab: SeatLab, host: string): Promise<string> {
  const disk = await run('bash', ['-c', `cd "$1" && find . -path ./var/log/journal -prune -o -printf '%p %y %m %U %G %s %T@ %l\\n' | sort`, 'fp', lab.seat(host).upper])
  if (disk.code !== 0) throw new Error(`${host}: reading the seat's disk: ${disk.stderr}`)
  const inside = await lab.exec(host, 'systemctl list-units --state=active --plain --no-legend --no-pager | cut -d" " -f1 | grep -vE "^(user@|user-runtime-dir@|user-[0-9]+\\.slice|run-user-|session-|run-credentials-)" | sort; ss -Hltun')
  if (inside.code !== 0) throw new Error(`${host}: units and sockets: ${inside.stderr}`)
  return `${disk.stdout}\n${inside.stdout}`
}
