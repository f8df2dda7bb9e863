// What udp-sender prints on stderr, as the role needs it:
//   New connection from 10.250.2.12  (#0) 00000009
//   Starting transfer: 00000009
//   bytes=  1 544 816  re-xmits=0000000 (  0.0%) slice=0393 -   1\r
//   Dropping client #2 because of timeout
//   Disconnecting #2 (10.250.2.12)
//   Transfer complete.
export class SenderWatch {
  bytes = 0
  connected = 0
  startedAt: number | undefined
  complete = false
  // Receivers the sender gave up on (by address), the most likely reason a host ends without a copy.
  readonly dropped = new Set<string>()
  private readonly numbers = new Map<string, string>()
  private rest = ''

  constructor(
    readonly total: number,
    readonly receivers: number,
  ) {}

  feed(chunk: string, now: number): void {
    const lines = (this.rest + chunk).split(/[\r\n]/)
    this.rest = lines.pop() ?? ''
    for (const line of lines) this.line(line, now)
  }

  private line(line: string, now: number): void {
    let m: RegExpExecArray | null
    if ((m = /^New connection from (\S+)\s+\(#(\d+)\)/.exec(line))) {
      this.connected++
      this.numbers.set(m[2]!, m[1]!)
    } else if (line.startsWith('Starting transfer')) {
      this.startedAt = now
    } else if ((m = /^bytes=\s*([\d ]+?)\s+re-xmits/.exec(line))) {
      this.bytes = Number(m[1]!.replace(/ /g, ''))
      this.startedAt ??= now
    } else if ((m = /^Dropping client #(\d+)/.exec(line))) {
      const address = this.numbers.get(m[1]!)
      if (address) this.dropped.add(address)
    } else if (line.startsWith('Transfer complete')) {
      this.complete = true
    }
  }

  // One line for the live view: rendezvous first, then bytes, share and average rate.
  text(now: number): string {
    if (this.startedAt === undefined) return `waiting for receivers: ${this.connected}/${this.receivers} connected`
    const seconds = (now - this.startedAt) / 1000
    const rate = seconds > 0 ? `, ${formatRate((this.bytes * 8) / seconds)}` : ''
    return `${formatBytes(this.bytes)} of ${formatBytes(this.total)} (${percent(this.bytes, this.total)})${rate}`
  }
}

export function formatBytes(n: number): string {
  if (n < 1e3) return `${n} B`
  const [unit, size] = n >= 1e9 ? ['GB', 1e9] : n >= 1e6 ? ['MB', 1e6] : ['kB', 1e3]
  return `${(n / size).toFixed(1)} ${unit}`
}

export function formatRate(bitsPerSecond: number): string {
  return bitsPerSecond >= 1e6 ? `${(bitsPerSecond / 1e6).toFixed(1)} Mbit/s` : `${(bitsPerSecond / 1e3).toFixed(0)} kbit/s`
}

function percent(part: number, whole: number): string {
  return `${whole > 0 ? Math.min(100, Math.floor((part * 100) / whole)) : 100}%`
}

// "m5-01, m5-02, m5-03" or, for a room, "m5-01 … m5-18 (18 hosts)".
export function hostList(names: string[]): string {
  if (names.length <= 4) return names.join(', ')
  return `${names[0]} … ${names[names.length - 1]} (${names.length} hosts)`
}
