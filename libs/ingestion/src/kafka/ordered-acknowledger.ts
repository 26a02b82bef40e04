/** How often a chunk waiting for room runs its keep-alive (the consumer's heartbeat). */
const KEEP_ALIVE_MS = 1_000;

export interface OrderedAcknowledgerOptions {
  /** Events admitted and not yet stored (or failed), across partitions, before the next chunk waits. */
  maxInFlightEvents: number;
  /**
   * Commits a partition's offset, reporting its own failures. Acknowledgements
   * are cumulative, so one that fails is covered by the next: the chain goes on.
   */
  acknowledge: (partition: number, nextOffset: string) => Promise<void>;
  /** A chunk's work failed: nothing of its partition from it on is acknowledged until that partition is read again. */
  onFailure: (partition: number, error: unknown) => void;
}

interface PartitionChain {
  /** Bumped by a failure: chunks of an older epoch are never acknowledged. */
  epoch: number;
  /** Settles with whether everything started before, in this epoch, was acknowledged. */
  tail: Promise<boolean>;
}

/**
 * Lets several chunks of consumed messages be stored at once while the
 * consumer fetches on, and still acknowledges each partition strictly in
 * offset order: a chunk's offset is committed only once it and every chunk
 * of its partition started before it are stored. A failed chunk breaks its
 * partition's chain: the chunks after it are never acknowledged (they may
 * be stored: redelivery is idempotent), and chunks started after the
 * failure begin a new chain, because the consumer only hands out that
 * partition again from a re-read (a restart from the committed offset, or
 * a seek). What is in flight is bounded, so a slow store slows consumption
 * down instead of piling messages up in memory.
 */
export class OrderedAcknowledger {
  private inFlightEvents = 0;
  private readonly chains = new Map<number, PartitionChain>();
  private readonly running = new Set<Promise<boolean>>();
  private roomWaiters: (() => void)[] = [];
  private halted = false;

  constructor(private readonly options: OrderedAcknowledgerOptions) {}

  /** Events admitted whose work has not settled. */
  get inFlight(): number {
    return this.inFlightEvents;
  }

  /**
   * Waits until a chunk of `events` fits (one chunk always fits when nothing
   * is in flight), starts `work` and returns without waiting for it: `work`
   * resolves with the offset to commit once its messages are stored. Returns
   * false, starting nothing, if `cancelled` turns true while waiting.
   */
  async start(
    partition: number,
    events: number,
    work: () => Promise<string>,
    waiting: { keepAlive: () => Promise<void>; cancelled: () => boolean },
  ): Promise<boolean> {
    while (this.inFlightEvents > 0 && this.inFlightEvents + events > this.options.maxInFlightEvents) {
      if (waiting.cancelled()) return false;
      await this.roomOrTimeout();
      await waiting.keepAlive();
    }
    if (waiting.cancelled()) return false;
    this.inFlightEvents += events;
    const chain = this.chains.get(partition) ?? { epoch: 0, tail: Promise.resolve(true) };
    this.chains.set(partition, chain);
    const epoch = chain.epoch;
    const before = chain.tail;
    const stored = settle(work).finally(() => this.release(events));
    const acknowledged = (async () => {
      const outcome = await stored;
      if (!outcome.ok) {
        if (chain.epoch === epoch) {
          chain.epoch++;
          chain.tail = Promise.resolve(true);
        }
        this.options.onFailure(partition, outcome.error);
        return false;
      }
      if (!(await before) || chain.epoch !== epoch || this.halted) return false;
      try {
        await this.options.acknowledge(partition, outcome.value);
      } catch {
        // Reported by acknowledge itself; the next acknowledgement of the partition covers this offset.
      }
      return true;
    })();
    chain.tail = acknowledged;
    this.running.add(acknowledged);
    void acknowledged.finally(() => this.running.delete(acknowledged));
    return true;
  }

  /** No acknowledgement from now on, on any partition (a fault the process must not carry on from). */
  halt(): void {
    this.halted = true;
  }

  /** Resolves once every started chunk has settled and been acknowledged (or not). */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  private release(events: number): void {
    this.inFlightEvents -= events;
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const wake of waiters) wake();
  }

  private roomOrTimeout(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, KEEP_ALIVE_MS);
      this.roomWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

async function settle<T>(work: () => Promise<T>): Promise<Settled<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    return { ok: false, error };
  }
}
