// A mapping whose values are computed on first use: `hostvars`, where each host's variables are rendered
// only when a template reads them. Templates index it like any mapping; it is never copied whole.
export class LazyRecord {
  private readonly memo = new Map<string, unknown>()

  constructor(
    readonly keys: () => string[],
    private readonly compute: (key: string) => unknown,
  ) {
    Object.freeze(this)
  }

  has(key: string): boolean {
    return this.keys().includes(key)
  }

  get(key: string): unknown {
    if (!this.memo.has(key)) this.memo.set(key, this.compute(key))
    return this.memo.get(key)
  }

  // Shown whole ("{{ hostvars }}"): every value, computed.
  toJSON(): Record<string, unknown> {
    return Object.fromEntries(this.keys().map((key) => [key, this.get(key)]))
  }
}
