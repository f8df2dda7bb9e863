// Waits for every host of a batch to arrive or leave, then runs one play-scoped step for the arrivals.
export class Barrier<T> {
  private readonly arrived: T[] = []
  private left = 0
  private readonly done: Promise<void>
  private release!: () => void

  constructor(
    private readonly expected: number,
    private readonly step: (arrivals: T[]) => Promise<void>,
  ) {
    this.done = new Promise((resolve) => {
      this.release = resolve
    })
    if (expected === 0) this.release()
  }

  // Resolves once the step has run for everyone who arrived.
  arrive(who: T): Promise<void> {
    this.arrived.push(who)
    this.maybeRun()
    return this.done
  }

  // A host that failed or was cut off before reaching the barrier.
  leave(): void {
    this.left++
    this.maybeRun()
  }

  private maybeRun(): void {
    if (this.arrived.length + this.left !== this.expected) return
    if (this.arrived.length === 0) return this.release()
    this.step(this.arrived).finally(() => this.release())
  }
}
