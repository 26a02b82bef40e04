import { describe, expect, it } from 'vitest';
import type { DeliveryRecord } from '../outbox/alert-outbox.port.js';
import { AttemptRecorder } from './attempt-recorder.js';

// The recorder only passes deliveries through, so an id is all these specs need of one.
const delivery = (id: string) => ({ delivery_id: id }) as DeliveryRecord;

/** An outbox whose writes finish when the spec says so, recording what each wrote. */
function heldOutbox() {
  const writes: string[][] = [];
  const finish: ((error?: Error) => void)[] = [];
  const outbox = {
    recordAttempts: (deliveries: DeliveryRecord[]) =>
      new Promise<void>((resolve, reject) => {
        writes.push(deliveries.map((d) => d.delivery_id));
        finish.push((error) => (error ? reject(error) : resolve()));
      }),
  };
  return { outbox, writes, finish };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('AttemptRecorder', () => {
  it('writes the first outcome at once, and those that come in meanwhile together in the next write', async () => {
    const { outbox, writes, finish } = heldOutbox();
    const recorder = new AttemptRecorder(outbox);
    const first = recorder.record(delivery('a'));
    const rest = ['b', 'c', 'd'].map((id) => recorder.record(delivery(id)));
    await tick();
    expect(writes).toEqual([['a']]);

    finish[0]();
    await first;
    await tick();
    expect(writes).toEqual([['a'], ['b', 'c', 'd']]);
    finish[1]();
    await Promise.all(rest);
  });

  it('fails every outcome of a failed write, and goes on with the next', async () => {
    const { outbox, writes, finish } = heldOutbox();
    const recorder = new AttemptRecorder(outbox);
    const first = recorder.record(delivery('a'));
    const second = recorder.record(delivery('b'));
    const third = recorder.record(delivery('c'));
    await tick();
    finish[0]();
    await tick();
    finish[1](new Error('storage went away'));
    await expect(first).resolves.toBeUndefined();
    await expect(Promise.allSettled([second, third])).resolves.toEqual([
      { status: 'rejected', reason: new Error('storage went away') },
      { status: 'rejected', reason: new Error('storage went away') },
    ]);

    const later = recorder.record(delivery('d'));
    await tick();
    expect(writes).toEqual([['a'], ['b', 'c'], ['d']]);
    finish[2]();
    await later;
  });
});
