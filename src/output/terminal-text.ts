// The one boundary between text labplay did not write (seats' output and facts, ssh servers' messages,
// input files) and a human's terminal. Views get data through terminalData, so a seat's bytes are shown,
// never obeyed; labplay's own colours are added after it. Machines (--json, the run record) keep the exact
// bytes, JSON-escaped by jsonText.

// What a terminal may act on instead of print: C0 controls (except tab and newline), DEL, C1 (U+0080–U+009F,
// which UTF-8 terminals may take as CSI, OSC…), and the bidi controls that reorder what a line shows.
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g

// Outside strings JSON text is ASCII, so these can be escaped over the whole document (JSON.stringify already
// escapes C0); U+2028/U+2029 too, for readers that take JSON as JavaScript.
const JSON_UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

const escaped = (c: string): string => {
  const code = c.charCodeAt(0)
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
}

// Text as a terminal must show it: every control character written out (`\x1b`, `\x0d`, `\u202e`),
// lines and tabs kept for the views to lay out.
export function terminalText(text: string): string {
  return text.replace(UNSAFE, escaped)
}

// terminalText over every string value of plain data (events, the run summary, record rows). Copies only
// what changes: clean data comes back as the same object, so the views pay one scan per string.
export function terminalData<T>(value: T): T {
  if (typeof value === 'string') return terminalText(value) as T
  if (typeof value !== 'object' || value === null) return value
  if (Array.isArray(value)) {
    let out: unknown[] | undefined
    value.forEach((v: unknown, i) => {
      const shown = terminalData(v)
      if (shown !== v) (out ??= [...value])[i] = shown
    })
    return (out ?? value) as T
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return value
  const record = value as Record<string, unknown>
  let out: Record<string, unknown> | undefined
  for (const k of Object.keys(record)) {
    const shown = terminalData(record[k])
    if (shown !== record[k]) (out ??= { ...record })[k] = shown
  }
  return (out ?? value) as T
}

// JSON for stdout or a file: the exact data, with every character a terminal could act on as a \u escape.
export function jsonText(value: unknown): string {
  return jsonSafe(`${JSON.stringify(value, null, 2)}\n`)
}

// JSON text made elsewhere (a listing in another tool's layout), with the same characters \u-escaped: still valid
// JSON for the same data, since JSON.stringify leaves them only inside strings.
export function jsonSafe(json: string): string {
  return json.replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}
