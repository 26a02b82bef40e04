/**
 * Group commit, per key (a tenant): writes for one key never overlap, and
 * whatever is submitted while a write is in flight is written together in
 * the next one. Under load the log gets fewer, larger inserts (one dedup
 * query, one part, one fsync and one chained digest per group instead of per
 * batch); when idle a submission is written at once, so latency does not grow.
 */
export class GroupCommit<T, R> {
  private readonly queues = new Map<string, Submission<T, R>[]>();
  private readonly writing = new Set<string>();

  /**
   * @param write writes one group for a key and returns one result per
   *   submission, in order. It sees submissions whole: one is never split.
   * @param maxItems a group stops growing at this many items (a single
   *   larger submission is still written alone).
   */
  constructor(
    private readonly write: (key: string, group: readonly T[][]) => Promise<R[]>,
    private readonly maxItems: number,
  ) {}

  /** Resolves once these items are written (with the rest of their group), or rejects with the group's failure. */
  submit(key: string, items: T[]): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const queue = this.queues.get(key);
      const submission = { items, resolve, reject };
      if (queue) queue.push(submission);
      else this.queues.set(key, [submission]);
      if (!this.writing.has(key)) void this.drain(key);
    });
  }

  private async drain(key: string): Promise<void> {
    this.writing.add(key);
    try {
      for (let group = this.take(key); group.length > 0; group = this.take(key)) {
        try {
          const results = await this.write(key, group.map((s) => s.items));
          group.forEach((s, i) => s.resolve(results[i]));
        } catch (error) {
          for (const s of group) s.reject(error);
        }
      }
    } finally {
      this.writing.delete(key);
    }
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
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}
