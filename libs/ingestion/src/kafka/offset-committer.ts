/** One partition's offset to commit: the offset of the next message to read. */
export interface PartitionOffset {
  partition: number;
  offset: string;
}

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Commits consumed offsets, many partitions per request. A store of a group
 * commit finishes the chunks of every partition at once; committing each by
 * its own request made the broker (and the consumer's main thread) handle a
 * request per chunk. Here the offsets handed over in the same turn go out
 * together, and whatever arrives while a request is in flight goes in the
 * next one, with only a partition's latest offset (offsets are cumulative).
 * Each call settles with the request that carried its offset or a later one
 * of its partition.
 */
export class OffsetCommitter {
  private pending = new Map<number, { offset: bigint; waiters: Waiter[] }>();
  private flushing: Promise<void> | null = null;

  constructor(private readonly send: (offsets: PartitionOffset[]) => Promise<void>) {}

  commit(partition: number, offset: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const next = BigInt(offset);
      const entry = this.pending.get(partition);
      if (entry) {
        if (next > entry.offset) entry.offset = next;
        entry.waiters.push({ resolve, reject });
      } else {
        this.pending.set(partition, { offset: next, waiters: [{ resolve, reject }] });
      }
      this.flushing ??= this.flush();
    });
  }

  private async flush(): Promise<void> {
    // The acknowledgements of one store arrive over several microtasks: let them all join the first request.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.pending.size > 0) {
      const batch = this.pending;
      this.pending = new Map();
      const waiters = [...batch.values()].flatMap((e) => e.waiters);
      try {
        await this.send([...batch].map(([partition, e]) => ({ partition, offset: e.offset.toString() })));
        for (const w of waiters) w.resolve();
      } catch (error) {
        for (const w of waiters) w.reject(error);
      }
    }
    this.flushing = null;
  }
}
