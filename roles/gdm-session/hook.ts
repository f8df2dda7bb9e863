// GDM's PostSession/Default belongs to the gdm3 package and maybe to the admin: labplay owns one marked block in it.

export const BEGIN = '# BEGIN labplay gdm-session (managed by labplay, edits inside are lost)'
export const END = '# END labplay gdm-session'

// The file with exactly one labplay block: replaced in place, else inserted before a final `exit`, else appended.
// A missing file (undefined) becomes a sh script that ends with `exit 0`.
export function withBlock(existing: string | undefined, body: string): string {
  const block = [BEGIN, ...body.trimEnd().split('\n'), END]
  if (existing === undefined) return ['#!/bin/sh', '', ...block, '', 'exit 0', ''].join('\n')
  const lines = existing.replace(/\n$/, '').split('\n')
  const begin = lines.indexOf(BEGIN)
  const end = begin < 0 ? -1 : lines.indexOf(END, begin)
  if (begin >= 0 && end >= 0) return [...lines.slice(0, begin), ...block, ...lines.slice(end + 1), ''].join('\n')
  const exit = finalExit(lines)
  if (exit < 0) return [...lines, ...block, ''].join('\n')
  return [...lines.slice(0, exit), ...block, ...lines.slice(exit), ''].join('\n')
}

// Index of the last command line when it is an `exit` (comments and blank lines after it do not count).
function finalExit(lines: string[]): number {
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!.trim()
    if (line === '' || line.startsWith('#')) continue
    return /^exit\b/.test(line) ? i : -1
  }
  return -1
}
