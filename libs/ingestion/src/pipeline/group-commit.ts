/**
 * Group commit, per key (a tenant): writes for one key never overlap, and
 * whatever is submitted while a write is in flight is written together in
 * the next one. Under load the log gets fewer, larger inserts (one dedup
 * query, one part, one fsync and one chained digest per group instead of per
 * batch); when idle a submission is written at once, so latency does not grow.
 *
 * Pacing: a key's write starts at least `minIntervalMs` after its previous
 * one started. The embedded engine spends about the same CPU on an insert
 * (and on merging its part later) whatever its size, so at moderate rates
 * writing as soon as the last write ends made many small inserts whose fixed
 * cost filled the machine; waiting a little writes the same events in fewer.
 * An urgent submission (an event a rule may alert on, say) is not held for
 * the pacing: its group starts as soon as the write under way, if any, is
 * over. Whether it is urgent is asked only once the pacing would hold it, so
 * a key whose writes are never held (a backlog) never pays for the asking. Such early starts draw on a small budget per key (`early`), so a
 * key whose submissions are always urgent (a noisy rule) is paced again
 * instead of writing as fast as its inserts end.
 */
export interface GroupCommitPacing {
  minIntervalMs: number;
  /** Early starts per key: at most `burst` at once, one more every `everyMs`. Default: none held back. */
  early?: { burst: number; everyMs: number };
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export class GroupCommit<T, R> {
  private readonly queues = new Map<string, Submission<T, R>[]>();
  private readonly writing = new Set<string>();
  /** When each key's latest write started. */
  private readonly lastStarted = new Map<string, number>();
  /** Per key, ends the pacing wait under way early (expedite). */
  private readonly waking = new Map<string, () => void>();
  /** Per key, the early starts left in its budget, as of `at`. */
  private readonly earlyBudget = new Map<string, { left: number; at: number }>();
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  /**
   * @param write writes one group for a key and returns one result per
   *   submission, in order. It sees submissions whole: one is never split.
   * @param maxItems a group stops growing at this many items (a single
   *   larger submission is still written alone).
   */
  constructor(
    private readonly write: (key: string, group: readonly T[][]) => Promise<R[]>,
    private readonly maxItems: number,
    private readonly pacing: GroupCommitPacing = { minIntervalMs: 0 },
  ) {
    this.now = pacing.now ?? (() => performance.now());
    this.sleep = pacing.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /**
   * Resolves once these items are written (with the rest of their group), or
   * rejects with the group's failure. `urgent`, asked at most once and only
   * if the pacing would hold these items: when true, the group that takes them
   * does not wait out the pacing (it still waits for the key's write under way).
   */
  submit(key: string, items: T[], options: { urgent?: () => boolean } = {}): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const queue = this.queues.get(key);
      const submission = { items, urgent: options.urgent ? once(options.urgent) : () => false, resolve, reject };
      if (queue) queue.push(submission);
      else this.queues.set(key, [submission]);
      if (!this.writing.has(key)) void this.drain(key);
      else if (this.waking.has(key) && submission.urgent() && this.startEarly(key)) this.expedite(key);
    });
  }

  /**
   * The key's next group starts now rather than when its pacing allows, if
   * it is waiting out the interval; otherwise nothing changes (a write under
   * way is never overlapped). For a caller that is itself waiting on that
   * group, so the wait would only add to its own.
   */
  expedite(key: string): void {
    this.waking.get(key)?.();
  }

  private async drain(key: string): Promise<void> {
    this.writing.add(key);
    try {
      // What is submitted during a wait joins the write after it.
      await this.pace(key);
      for (let group = this.take(key); group.length > 0; group = this.take(key)) {
        this.lastStarted.set(key, this.now());
        try {
          const results = await this.write(key, group.map((s) => s.items));
          group.forEach((s, i) => s.resolve(results[i]));
        } catch (error) {
          for (const s of group) s.reject(error);
        }
        // Idle, the drain ends here; a later submission starts the next one, paced the same way.
        if (this.queues.get(key)?.length) await this.pace(key);
      }
    } finally {
      this.writing.delete(key);
    }
  }

  /** Waits until the key's next write may start: `minIntervalMs` after its previous one started, or at once for an urgent submission. */
  private async pace(key: string): Promise<void> {
    const wait = (this.lastStarted.get(key) ?? Number.NEGATIVE_INFINITY) + this.pacing.minIntervalMs - this.now();
    if (wait <= 0 || (this.queues.get(key)?.some((s) => s.urgent()) && this.startEarly(key))) return;
    await new Promise<void>((resolve) => {
      let over = false;
      const wake = () => {
        if (over) return;
        over = true;
        this.waking.delete(key);
        resolve();
      };
      this.waking.set(key, wake);
      void this.sleep(wait).then(wake);
    });
  }

  /** Takes one early start from the key's budget, if one is left. */
  private startEarly(key: string): boolean {
    const early = this.pacing.early;
    if (!early) return true;
    const now = this.now();
    const budget = this.earlyBudget.get(key) ?? { left: early.burst, at: now };
    const left = Math.min(early.burst, budget.left + (now - budget.at) / early.everyMs);
    if (left < 1) {
      this.earlyBudget.set(key, { left, at: now });
      return false;
    }
    this.earlyBudget.set(key, { left: left - 1, at: now });
    return true;
  }

  private take(key: string): Submission<T, R>[] {
    const queue = this.queues.get(key);
    if (!queue || queue.length === 0) {
      this.queues.delete(key);
      return [];
    }
    let count = queue[0].items.length;
    let n = 1;
    while (n < queue.length && count + queue[n].items.length <= this.maxItems) count += queue[n++].items.length;
    return queue.splice(0, n);
  }
}

interface Submission<T, R> {
  items: T[];
  urgent: () => boolean;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

function once(ask: () => boolean): () => boolean {
  let answer: boolean | undefined;
  return () => (answer ??= ask());
}
