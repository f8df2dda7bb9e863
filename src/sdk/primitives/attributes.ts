import { quote } from '../quote.ts'
import { chmodMode, parseMode, showMode } from './mode.ts'
import { chownSpec, checkAccount, sameAccount } from './owner.ts'
import type { PathState } from './stat.ts'

// What a role may ask of a path's metadata (file and directory share it).
export interface AttributeOptions {
  // Octal: '0644', '644' or 0o644.
  mode?: string | number
  // A name or a numeric id.
  owner?: string
  group?: string
}

// The same, parsed: mode as a number, so '0644', '644' and 0o644 compare equal.
export interface Attributes {
  mode?: number
  owner?: string
  group?: string
}

// Checked once, before any probe: a bad mode or owner fails the step without touching the host.
export function parseAttributes(opts: AttributeOptions): Attributes {
  checkAccount('owner', opts.owner)
  checkAccount('group', opts.group)
  return { mode: opts.mode === undefined ? undefined : parseMode(opts.mode), owner: opts.owner, group: opts.group }
}

// The metadata that differs from what the probe saw, as the words a message needs.
export function attributeDrift(state: PathState, want: Attributes): Attributes {
  return {
    owner: want.owner !== undefined && !sameAccount(want.owner, state.uid, state.user) ? want.owner : undefined,
    group: want.group !== undefined && !sameAccount(want.group, state.gid, state.group) ? want.group : undefined,
    mode: want.mode !== undefined && want.mode !== state.mode ? want.mode : undefined,
  }
}

// "mode 0600, owner alice", or '' when nothing differs.
export function describeAttributes(drift: Attributes): string {
  const parts: string[] = []
  if (drift.mode !== undefined) parts.push(`mode ${showMode(drift.mode)}`)
  if (drift.owner !== undefined) parts.push(`owner ${drift.owner}`)
  if (drift.group !== undefined) parts.push(`group ${drift.group}`)
  return parts.join(', ')
}

// shellPath is already shell text (a quoted path or "$tmp"); chown goes first because it clears setuid/setgid.
export function attributeCommands(shellPath: string, drift: Attributes): string[] {
  const commands: string[] = []
  const spec = chownSpec(drift.owner, drift.group)
  if (spec !== undefined) commands.push(`chown -- ${quote(spec)} ${shellPath}`)
  if (drift.mode !== undefined) commands.push(`chmod ${chmodMode(drift.mode)} -- ${shellPath}`)
  return commands
}
