/**
 * A tenant's writes, as far as dedupe checks still under way need them: the
 * keys each write stored, kept until no check that started before it had
 * finished is waiting for its write.
 */
export class TenantWrites {
  /** Writes finished (stored or failed), in write order. */
  private finished = 0;
  /** What the writes from `base` on stored (storedEventKey), or null for one that failed. */
  private base = 0;
  private readonly log: (ReadonlySet<string> | null)[] = [];
  /** Early checks whose write has not run yet, by their `after`. */
  private readonly waiting = new Map<number, number>();

  /** A check starts: its `after`, which it hands back to storedSince and checkUsed. */
  startCheck(): number {
    this.waiting.set(this.finished, (this.waiting.get(this.finished) ?? 0) + 1);
    return this.finished;
  }

  /** What the writes finished since a check started stored; null if one of them failed (its rows are unknown: ask the log again). */
  storedSince(after: number): ReadonlySet<string>[] | null {
    // Never the case while the check waits (its writes are kept); if it were, the log knows best.
    if (after < this.base) return null;
    const since = this.log.slice(after - this.base);
    return since.includes(null) ? null : (since as ReadonlySet<string>[]);
  }

  /** The check's write has used it (or failed): writes it alone was waiting for are forgotten. */
  checkUsed(after: number): void {
    const left = (this.waiting.get(after) ?? 1) - 1;
    if (left > 0) this.waiting.set(after, left);
    else this.waiting.delete(after);
    this.prune();
  }

  /** A write is over: the keys it stored, or null if it failed. */
  writeFinished(stored: ReadonlySet<string> | null): void {
    this.log.push(stored);
    this.finished++;
    this.prune();
  }

  /** Writes whose keys are kept. */
  get kept(): number {
    return this.log.length;
  }

  get idle(): boolean {
    return this.waiting.size === 0 && this.log.length === 0;
  }

  /** Nothing waiting started before a write: that write's keys are in the log for every later check. */
  private prune(): void {
    let oldest = this.finished;
    for (const after of this.waiting.keys()) if (after < oldest) oldest = after;
    while (this.base < oldest && this.log.length > 0) {
      this.log.shift();
      this.base++;
    }
    if (this.log.length === 0) this.base = this.finished;
  }
}
