// Edits beyond this make the diff a plain "replace everything": bounded time and memory for any input.
const MAX_EDITS = 2000
const CONTEXT = 3

type Op = { kind: ' ' | '-' | '+'; line: string }

// `--diff` output for a file change, in the unified format admins already read (and `patch` accepts).
export function unifiedDiff(before: string, after: string, path: string): string {
  const ops = lineDiff(splitLines(before), splitLines(after))
  const hunks = toHunks(ops)
  if (hunks.length === 0) return ''
  return [`--- before${path}\n`, `+++ after${path}\n`, ...hunks].join('')
}

// Lines keep their '\n', so a missing newline at the end of the file is a difference too.
function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? []
}

function lineDiff(a: string[], b: string[]): Op[] {
  let start = 0
  while (start < a.length && start < b.length && a[start] === b[start]) start++
  let endA = a.length
  let endB = b.length
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--
    endB--
  }
  const same = (lines: string[]): Op[] => lines.map((line) => ({ kind: ' ', line }))
  const middle = myers(a.slice(start, endA), b.slice(start, endB)) ?? [
    ...a.slice(start, endA).map((line): Op => ({ kind: '-', line })),
    ...b.slice(start, endB).map((line): Op => ({ kind: '+', line })),
  ]
  return [...same(a.slice(0, start)), ...middle, ...same(a.slice(endA))]
}

// Myers' O((N+M)·D) shortest edit script; undefined when D passes MAX_EDITS.
function myers(a: string[], b: string[]): Op[] | undefined {
  const n = a.length
  const m = b.length
  // trace[d][k + d]: furthest x reached on diagonal k with d edits.
  const trace: Int32Array[] = []
  const down = (v: Int32Array, d: number, k: number): boolean => k === -d || (k !== d && v[k - 1 + d - 1] < v[k + 1 + d - 1])
  for (let d = 0; d <= Math.min(MAX_EDITS, n + m); d++) {
    const prev = trace[d - 1]
    const cur = new Int32Array(2 * d + 1)
    for (let k = -d; k <= d; k += 2) {
      let x = d === 0 ? 0 : down(prev, d, k) ? prev[k + 1 + d - 1] : prev[k - 1 + d - 1] + 1
      let y = x - k
      while (x < n && y < m && a[x] === b[y]) {
        x++
        y++
      }
      cur[k + d] = x
      if (x >= n && y >= m) {
        trace.push(cur)
        return backtrack(trace, a, b, down)
      }
    }
    trace.push(cur)
  }
  return undefined
}

function backtrack(
  trace: Int32Array[],
  a: string[],
  b: string[],
  down: (v: Int32Array, d: number, k: number) => boolean,
): Op[] {
  const ops: Op[] = []
  let x = a.length
  let y = b.length
  for (let d = trace.length - 1; d > 0; d--) {
    const prev = trace[d - 1]
    const k = x - y
    const prevK = down(prev, d, k) ? k + 1 : k - 1
    const prevX = prev[prevK + d - 1]
    const prevY = prevX - prevK
    for (; x > prevX && y > prevY; y--) ops.push({ kind: ' ', line: a[--x] })
    if (prevK === k + 1) ops.push({ kind: '+', line: b[--y] })
    else ops.push({ kind: '-', line: a[--x] })
  }
  while (x > 0) ops.push({ kind: ' ', line: a[--x] })
  return ops.reverse()
}

function toHunks(ops: Op[]): string[] {
  const changed = ops.flatMap((op, i) => (op.kind === ' ' ? [] : [i]))
  const hunks: string[] = []
  let i = 0
  while (i < changed.length) {
    let j = i
    while (j + 1 < changed.length && changed[j + 1] - changed[j] <= 2 * CONTEXT) j++
    const from = Math.max(0, changed[i] - CONTEXT)
    const to = Math.min(ops.length, changed[j] + CONTEXT + 1)
    hunks.push(hunk(ops, from, to))
    i = j + 1
  }
  return hunks
}

function hunk(ops: Op[], from: number, to: number): string {
  const before = ops.slice(0, from)
  const oldAt = before.filter((op) => op.kind !== '+').length
  const newAt = before.filter((op) => op.kind !== '-').length
  const body = ops.slice(from, to)
  const oldLen = body.filter((op) => op.kind !== '+').length
  const newLen = body.filter((op) => op.kind !== '-').length
  const range = (at: number, len: number): string => `${len === 0 ? at : at + 1},${len}`
  const lines = body.map((op) => `${op.kind}${op.line.endsWith('\n') ? op.line : `${op.line}\n\\ No newline at end of file\n`}`)
  return `@@ -${range(oldAt, oldLen)} +${range(newAt, newLen)} @@\n${lines.join('')}`
}
