// What a FrameReader found: body bytes as they become certain, then the end line's fields.
export interface FrameEvents {
  // `bytes` more of the body are known; false: keep none of this body from here on (over the cap).
  body(bytes: number): boolean
  // The whole body, or undefined when it was dropped; valid during the call only (decode it there).
  end(body: Buffer | undefined, fields: string[]): void
  broken(message: string): void
}

// An end line is a few numbers; anything longer is not one.
const LINE_MAX = 256

// One stream of the remote session's answers: each body runs from the last end line to the next,
// `\n<m>E fields\n`. Only a marker's length of unparsed bytes is held: the body moves out as soon as it
// is certain, so one command costs its kept body, and nothing once that is dropped.
export class FrameReader {
  private readonly endMark: Buffer
  private readonly pending = new Pending()
  private kept: Buffer[] = []
  private dropping = false

  constructor(
    marker: string,
    private readonly on: FrameEvents,
  ) {
    this.endMark = Buffer.from(`\n${marker}E`)
  }

  push(chunk: Buffer): void {
    this.pending.append(chunk)
    for (;;) {
      const data = this.pending.view()
      const at = data.indexOf(this.endMark)
      const eol = at < 0 ? -1 : data.indexOf(10, at + this.endMark.length)
      if (eol < 0) {
        // Everything before a possible marker is body for certain.
        this.keep(data, at >= 0 ? at : Math.max(0, data.length - this.endMark.length + 1))
        if (at >= 0 && data.length - at > LINE_MAX) this.on.broken('labplay: the remote shell sent a malformed frame')
        return
      }
      const fields = data.subarray(at + this.endMark.length, eol).toString('latin1').split(' ').filter(Boolean)
      const fits = !this.dropping && this.on.body(at)
      const body = !fits ? undefined : this.kept.length === 0 ? data.subarray(0, at) : Buffer.concat([...this.kept, data.subarray(0, at)])
      this.kept = []
      this.dropping = false
      this.on.end(body, fields)
      this.pending.consume(eol + 1)
    }
  }

  // The first `n` bytes of `data` are body: counted, kept while they fit, then let go.
  private keep(data: Buffer, n: number): void {
    if (n === 0) return
    if (!this.dropping && this.on.body(n)) this.kept.push(Buffer.from(data.subarray(0, n)))
    else {
      this.dropping = true
      this.kept = []
    }
    this.pending.consume(n)
  }
}

// Bytes received and not yet parsed: a marker's length between chunks, so small; grows to fit a chunk.
class Pending {
  private data = Buffer.alloc(4096)
  private length = 0

  append(chunk: Buffer): void {
    if (this.length + chunk.length > this.data.length) {
      const bigger = Buffer.alloc(Math.max(this.data.length * 2, this.length + chunk.length))
      this.data.copy(bigger, 0, 0, this.length)
      this.data = bigger
    }
    chunk.copy(this.data, this.length)
    this.length += chunk.length
  }

  view(): Buffer {
    return this.data.subarray(0, this.length)
  }

  consume(n: number): void {
    this.data.copy(this.data, 0, n, this.length)
    this.length -= n
  }
}
