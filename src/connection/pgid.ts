import { PGID_MARKER } from './bash.ts'

const MARKER_LINE = new RegExp(`(?:^|\\n)${PGID_MARKER}(\\d+)\\n`)
// After a prompt that ends no line (su's `Password: `), the marker is wherever it starts.
const MARKER_ANYWHERE = new RegExp(`${PGID_MARKER}(\\d+)\\n`)
// The marker comes before anything the command prints; past this much of one unfinished line there is
// none to find (a hostile sudo), and what is held passes on, so it counts toward the output cap.
const SEARCH_LIMIT = 4096
const PROMPT = /^[^\n:]*[Pp]assword[^\n:]*: ?/

// Takes the wrapper's process-group line out of stderr (whatever sudo printed before it stays; with
// `dropPrompt`, what su printed before it goes too: only the become tool writes there before the wrapper).
export class PgidScanner {
  readonly pgid: Promise<number>
  private found = false
  private pending = Buffer.alloc(0)
  private resolve!: (pgid: number) => void
  private promptGone = false

  constructor(private readonly dropPrompt = false) {
    this.pgid = new Promise((resolve) => (this.resolve = resolve))
  }

  // Bytes of stderr that belong to the caller; the marker line is held back until complete.
  push(chunk: Buffer): Buffer {
    if (this.found) return chunk
    const buf = Buffer.concat([this.pending, chunk])
    const match = (this.dropPrompt ? MARKER_ANYWHERE : MARKER_LINE).exec(buf.toString('latin1'))
    if (match) {
      this.found = true
      this.pending = Buffer.alloc(0)
      this.resolve(Number(match[1]))
      if (this.dropPrompt) return buf.subarray(match.index + match[0].length)
      const start = match.index + (match[0].startsWith('\n') ? 1 : 0)
      return Buffer.concat([buf.subarray(0, start), buf.subarray(match.index + match[0].length)])
    }
    const complete = buf.lastIndexOf(0x0a) + 1
    if (buf.length - complete > SEARCH_LIMIT) {
      this.found = true
      this.pending = Buffer.alloc(0)
      return buf
    }
    this.pending = buf.subarray(complete)
    return this.unprompted(buf.subarray(0, complete))
  }

  // What is left when stderr ends without the marker (sudo refused, bash missing).
  flush(): Buffer {
    const rest = this.pending
    this.pending = Buffer.alloc(0)
    return this.unprompted(rest)
  }

  // su's refusal reads `su: Authentication failure`, without the prompt before it.
  private unprompted(bytes: Buffer): Buffer {
    if (!this.dropPrompt || this.promptGone || bytes.length === 0) return bytes
    this.promptGone = true
    return Buffer.from(bytes.toString('latin1').replace(PROMPT, ''), 'latin1')
  }
}
