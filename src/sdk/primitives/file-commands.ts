import { posix } from 'node:path'
import { quote } from '../quote.ts'
import { attributeCommands, type Attributes } from './attributes.ts'
import { statCommand } from './stat.ts'

// Larger files are compared by hash only; their old content is not read for a diff.
export const DIFF_LIMIT = 256 * 1024

// Exit code of the write script when the validate command rejected the temporary file.
export const VALIDATION_FAILED = 97

// Stat line, then for a regular file its sha256 (only when content is managed: an image's mode alone
// must not cost a read of gigabytes), then (diff mode, small file) "content" and the bytes.
export function fileProbeCommand(path: string, withContent: boolean, withHash = true): string {
  const lines = [statCommand(path, false), `[ -f "$p" ] && [ ! -L "$p" ] || exit 0`, withHash ? `sha256sum <"$p" || exit 1` : 'echo unhashed']
  if (withContent) lines.push(`if [ "$(stat -c %s -- "$p")" -le ${DIFF_LIMIT} ]; then echo content; cat <"$p" || exit 1; fi`)
  return lines.join('\n')
}

// Everything the write script needs, decided by file() from the probe.
export interface WritePlan {
  path: string
  // Applied to the temporary file before it takes the target's name; no mode means "as umask gives".
  attributes: Attributes
  validate?: string
  // Keep the old file as PATH.<timestamp>~ (hard to lose, easy to find).
  backup: boolean
}

// Content arrives on stdin into a temp file beside the target; validated, then renamed: old or new, never half.
export function fileWriteCommand(plan: WritePlan): string {
  const { attributes } = plan
  const lines = [
    `p=${quote(plan.path)}`,
    `tmp=$(mktemp -- ${quote(`${posix.dirname(plan.path)}/.labplay.XXXXXX`)}) || exit 1`,
    `trap 'rm -f -- "$tmp"' EXIT`,
    `trap 'exit 1' HUP INT TERM PIPE`,
    // cat runs in the background and the script waits for it: a TERM (a timeout, Ctrl-C) runs the traps at
    // once, even while cat is stuck on a frozen disk, so no temporary file outlives the command.
    `cat >"$tmp" <&0 & wait "$!" || exit 1`,
    ...attributeCommands('"$tmp"', { owner: attributes.owner, group: attributes.group }).map((c) => `${c} || exit 1`),
  ]
  if (attributes.mode === undefined) lines.push(`printf -v m %o $((0666 & ~$(umask)))`, `chmod "$m" -- "$tmp" || exit 1`)
  else lines.push(...attributeCommands('"$tmp"', { mode: attributes.mode }).map((c) => `${c} || exit 1`))
  if (plan.validate !== undefined) {
    // A subshell on lines of its own: the role's `exit` or trailing `# comment` cannot reach our script.
    lines.push(`(\n${validateCommand(plan.validate)}\n) >&2 || { echo "validate command exited $?" >&2; exit ${VALIDATION_FAILED}; }`)
  }
  if (plan.backup) lines.push(`if [ -f "$p" ]; then cp -p -- "$p" "$p.$(date +%Y%m%d-%H%M%S)~" || exit 1; fi`)
  lines.push(`mv -f -- "$tmp" "$p" || exit 1`)
  return lines.join('\n')
}

// The role's validate command is its own shell text; only the temp path is ours: %s, or appended.
function validateCommand(validate: string): string {
  return validate.includes('%s') ? validate.replaceAll('%s', '"$tmp"') : `${validate} "$tmp"`
}
