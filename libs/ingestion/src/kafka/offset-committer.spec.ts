import { describe, expect, it } from 'vitest';
import { OffsetCommitter, type PartitionOffset } from './offset-committer.js';

/** A broker whose commit requests are held until the test answers them. */
function heldBroker() {
  const requests: { offsets: PartitionOffset[]; answer: (failure?: Error) => void }[] = [];
  const send = (offsets: PartitionOffset[]) =>
    new Promise<void>((resolve, reject) => requests.push({ offsets, answer: (failure) => (failure ? reject(failure) : resolve()) }));
  return { requests, send };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));
const settled = (p: Promise<void>) => p.then(() => 'committed', (e: Error) => `failed: ${e.message}`);

describe('OffsetCommitter', () => {
  it('sends the offsets handed over in the same turn in one request', async () => {
    const broker = heldBroker();
    const committer = new OffsetCommitter(broker.send);

    const commits = [committer.commit(0, '10'), committer.commit(1, '7'), committer.commit(2, '3')];
    await turn();
    expect(broker.requests.map((r) => r.offsets)).toEqual([
      [
        { partition: 0, offset: '10' },
        { partition: 1, offset: '7' },
        { partition: 2, offset: '3' },
      ],
    ]);

    broker.requests[0].answer();
    expect(await Promise.all(commits.map(settled))).toEqual(['committed', 'committed', 'committed']);
  });

  it("puts what arrives while a request is in flight in the next one, with each partition's latest offset only", async () => {
    const broker = heldBroker();
    const committer = new OffsetCommitter(broker.send);
    const first = committer.commit(0, '10');
    await turn();

    const later = [committer.commit(0, '20'), committer.commit(1, '5'), committer.commit(0, '30')];
    await turn();
    expect(broker.requests).toHaveLength(1);

    broker.requests[0].answer();
    expect(await settled(first)).toBe('committed');
    await turn();
    expect(broker.requests.map((r) => r.offsets)).toEqual([
      [{ partition: 0, offset: '10' }],
      [
        { partition: 0, offset: '30' },
        { partition: 1, offset: '5' },
      ],
    ]);
    broker.requests[1].answer();
    expect(await Promise.all(later.map(settled))).toEqual(['committed', 'committed', 'committed']);
  });

  it('fails only the commits its failed request carried; the next request goes out as usual', async () => {
    const broker = heldBroker();
    const committer = new OffsetCommitter(broker.send);
    const lost = committer.commit(0, '10');
    await turn();
    const next = committer.commit(1, '4');

    broker.requests[0].answer(new Error('NOT_COORDINATOR'));
    expect(await settled(lost)).toBe('failed: NOT_COORDINATOR');
    await turn();
    broker.requests[1].answer();
    expect(await settled(next)).toBe('committed');
  });

  it('compares offsets as 64-bit numbers, not text', async () => {
    const broker = heldBroker();
    const committer = new OffsetCommitter(broker.send);
    void committer.commit(0, '9');
    void committer.commit(0, '10');
    await turn();
    expect(broker.requests[0].offsets).toEqual([{ partition: 0, offset: '10' }]);
    broker.requests[0].answer();
  });
});
