// Lab machines are numbered (m5-2, m5-10): people expect m5-2 first, which plain string order breaks.
// Runs of digits compare by value (leading zeros ignored, any length), everything else by code point;
// names equal under that rule (m5-02, m5-2) fall back to plain order so the sort stays total.
export function naturalCompare(a: string, b: string): number {
  const pa = a.match(CHUNKS) ?? []
  const pb = b.match(CHUNKS) ?? []
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i]!
    const y = pb[i]!
    const dx = DIGIT.test(x)
    const dy = DIGIT.test(y)
    let c: number
    if (dx && dy) {
      const nx = x.replace(/^0+(?=.)/, '')
      const ny = y.replace(/^0+(?=.)/, '')
      c = nx.length - ny.length || (nx < ny ? -1 : nx > ny ? 1 : 0)
    } else c = x < y ? -1 : x > y ? 1 : 0
    if (c !== 0) return c
  }
  return pa.length - pb.length || (a < b ? -1 : a > b ? 1 : 0)
}

const CHUNKS = /\d+|\D+/g
const DIGIT = /^\d/
