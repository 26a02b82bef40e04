import { describe, expect, it } from 'vitest';
import { OrderedAcknowledger } from './ordered-acknowledger.js';

/** Work whose completion the test controls: finish(offset) stores it, fail(error) fails it. */
function controlledWork() {
  let finish!: (offset: string) => void;
  let fail!: (error: Error) => void;
  const promise = new Promise<string>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  return { work: () => promise, finish, fail };
}

function acknowledger(maxInFlightEvents = 100) {
  const acknowledged: string[] = [];
  const failures: string[] = [];
  const acks = new OrderedAcknowledger({
    maxInFlightEvents,
    acknowledge: async (partition, offset) => {
      acknowledged.push(`${partition}@${offset}`);
    },
    onFailure: (partition, error) => failures.push(`${partition}: ${(error as Error).message}`),
  });
  return { acks, acknowledged, failures };
}

const waiting = { keepAlive: async () => {}, cancelled: () => false };
const settle = () => new Promise((r) => setImmediate(r));

describe('ordered acknowledgement of chunks stored side by side', () => {
  it('acknowledges a later chunk only once every earlier chunk of its partition is stored', async () => {
    const { acks, acknowledged } = acknowledger();
    const first = controlledWork();
    const second = controlledWork();
    await acks.start(0, 10, first.work, waiting);
    await acks.start(0, 10, second.work, waiting);

    second.finish('20');
    await settle();
    expect(acknowledged).toEqual([]);

    first.finish('10');
    await acks.drain();
    expect(acknowledged).toEqual(['0@10', '0@20']);
  });

  it('does not hold one partition back behind another', async () => {
    const { acks, acknowledged } = acknowledger();
    const slow = controlledWork();
    const fast = controlledWork();
    await acks.start(0, 10, slow.work, waiting);
    await acks.start(1, 10, fast.work, waiting);

    fast.finish('7');
    await settle();
    expect(acknowledged).toEqual(['1@7']);
    slow.finish('3');
    await acks.drain();
    expect(acknowledged).toEqual(['1@7', '0@3']);
  });

  it('after a failed chunk, acknowledges nothing started before the failure on that partition, and starts afresh after it', async () => {
    const { acks, acknowledged, failures } = acknowledger();
    const failing = controlledWork();
    const storedAfterIt = controlledWork();
    await acks.start(0, 10, failing.work, waiting);
    await acks.start(0, 10, storedAfterIt.work, waiting);

    storedAfterIt.finish('20');
    failing.fail(new Error('storage down'));
    await acks.drain();
    expect(acknowledged).toEqual([]);
    expect(failures).toEqual(['0: storage down']);

    // The consumer re-reads the partition from its committed offset: those chunks form a new chain.
    const reread = controlledWork();
    await acks.start(0, 20, reread.work, waiting);
    reread.finish('20');
    await acks.drain();
    expect(acknowledged).toEqual(['0@20']);
  });

  it('a second failure of the old chain does not unblock the new one out of order', async () => {
    const { acks, acknowledged } = acknowledger();
    const a = controlledWork();
    const b = controlledWork();
    await acks.start(0, 1, a.work, waiting);
    await acks.start(0, 1, b.work, waiting);
    a.fail(new Error('first'));
    await settle();

    const c = controlledWork();
    const d = controlledWork();
    await acks.start(0, 1, c.work, waiting);
    await acks.start(0, 1, d.work, waiting);
    b.fail(new Error('second, from the old chain'));
    d.finish('4');
    await settle();
    expect(acknowledged).toEqual([]);
    c.finish('3');
    await acks.drain();
    expect(acknowledged).toEqual(['0@3', '0@4']);
  });

  it('makes a chunk wait while the events in flight would exceed the bound, and lets it start when room is freed', async () => {
    const { acks } = acknowledger(15);
    const first = controlledWork();
    await acks.start(0, 10, first.work, waiting);
    let started = false;
    const second = acks.start(1, 10, async () => '1', waiting).then((s) => (started = s));
    await settle();
    expect(started).toBe(false);
    expect(acks.inFlight).toBe(10);

    first.finish('10');
    await second;
    expect(started).toBe(true);
  });

  it('always lets a chunk larger than the bound through when nothing is in flight', async () => {
    const { acks, acknowledged } = acknowledger(5);
    expect(await acks.start(2, 50, async () => '50', waiting)).toBe(true);
    await acks.drain();
    expect(acknowledged).toEqual(['2@50']);
  });

  it('starts nothing when cancelled while waiting for room (shutdown)', async () => {
    const { acks } = acknowledger(10);
    const first = controlledWork();
    await acks.start(0, 10, first.work, waiting);
    let cancelled = false;
    let ran = false;
    const second = acks.start(0, 10, async () => ((ran = true), '20'), { keepAlive: async () => {}, cancelled: () => cancelled });
    cancelled = true;
    first.finish('10');
    await expect(second).resolves.toBe(false);
    expect(ran).toBe(false);
  });

  it('once halted, acknowledges nothing more, even chunks that are stored', async () => {
    const { acks, acknowledged } = acknowledger();
    const w = controlledWork();
    await acks.start(0, 1, w.work, waiting);
    acks.halt();
    w.finish('1');
    await acks.drain();
    expect(acknowledged).toEqual([]);
  });

  it('goes on after an acknowledgement fails: the next one covers it', async () => {
    const acknowledged: string[] = [];
    let calls = 0;
    const acks = new OrderedAcknowledger({
      maxInFlightEvents: 100,
      acknowledge: async (partition, offset) => {
        if (calls++ === 0) throw new Error('coordinator moved');
        acknowledged.push(`${partition}@${offset}`);
      },
      onFailure: () => {},
    });
    await acks.start(0, 1, async () => '1', waiting);
    await acks.start(0, 1, async () => '2', waiting);
    await acks.drain();
    expect(acknowledged).toEqual(['0@2']);
  });
});
