import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { withLock } from './lock.ts'
import { labCache, labFolders, readRecord } from './state.ts'

const SYSCTL = '/proc/sys/fs/inotify/max_user_instances'
// Each seat's systemd, journald, logind and user manager use ~11 inotify instances; the margin covers sessions.
export const INOTIFY_PER_SEAT = 20
// The machine's own value, saved when seats first raised it; restored when no seat lab is left.
const ORIGINAL = () => labCache('inotify-max-user-instances')
const LOCK = () => labCache('inotify.lock')

const current = (): number => Number(readFileSync(SYSCTL, 'utf8').trim())

// Seats of every seat lab recorded in the state root (live or not yet cleaned up): they count until removed.
function seatsRecorded(): number {
  return labFolders().reduce((sum, id) => {
    const record = readRecord(id)
    return record?.kind === 'seat' ? sum + record.hosts : sum
  }, 0)
}

// fs.inotify.max_user_instances is one number for all of root's processes on the machine (its default
// 128 stops at ~10 seats). It is raised to the original value plus what all recorded seat labs need, under
// a lock, so several test files bringing seats up at once add up instead of overwriting each other.
export function raiseInotify(): Promise<void> {
  return withLock(LOCK(), 30_000, async () => {
    if (!existsSync(ORIGINAL())) writeFileSync(ORIGINAL(), `${current()}\n`)
    const wanted = Number(readFileSync(ORIGINAL(), 'utf8')) + INOTIFY_PER_SEAT * seatsRecorded()
    if (current() < wanted) writeFileSync(SYSCTL, `${wanted}\n`)
  })
}

// Called once a lab's record is gone: the machine's value comes back when no seat lab is recorded;
// while others remain it stays raised (only ever lowered to the original).
export async function releaseInotify(): Promise<void> {
  if (!existsSync(ORIGINAL())) return
  return withLock(LOCK(), 30_000, async () => {
    if (!existsSync(ORIGINAL()) || seatsRecorded() > 0) return
    writeFileSync(SYSCTL, readFileSync(ORIGINAL()))
    rmSync(ORIGINAL())
  })
}
