import { unifiedDiff } from './diff.ts'
import { DIFF_LIMIT } from './file-commands.ts'
import type { FileDiff } from './types.ts'

// --diff for a content change; binary or large content is named, not dumped. `before` is undefined when not read.
export function fileDiff(path: string, before: string | undefined, after: Buffer): FileDiff {
  const afterText = after.length <= DIFF_LIMIT ? utf8(after) : undefined
  if (before === undefined || afterText === undefined || !isText(before) || !isText(afterText)) {
    return { path, text: `--- before${path}\n+++ after${path}\nBinary or larger than ${DIFF_LIMIT / 1024} KiB: content not shown\n`, sides: [] }
  }
  return { path, text: unifiedDiff(before, afterText, path), sides: [before, afterText] }
}

function utf8(data: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(data)
  } catch {
    return undefined
  }
}

// A probe's output was decoded as UTF-8 already: invalid bytes show up as U+FFFD.
function isText(text: string): boolean {
  return !text.includes('\0') && !text.includes('\uFFFD')
}
