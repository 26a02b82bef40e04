import { describe, expect, it } from 'vitest';
import type { Detection } from '../detection/detection.schema.js';
import { type DetectionContext, DetectionListeners, DetectionsNotStored } from './detection-listeners.js';

// Listeners only pass detections through, so an id is all these specs need of one.
const DETECTIONS = [{ detection_id: 'd1' } as Detection];
const CONTEXT: DetectionContext = { ingestedAt: { epochSeconds: 1_795_000_000, micros: 0 }, events: [] };

/** A promise settled from outside, to hold a step open while the others are observed. */
function gate(): { promise: Promise<void>; open: () => void; fail: (error: Error) => void } {
  let open!: () => void;
  let fail!: (error: Error) => void;
  const promise = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

function setup() {
  const log: string[] = [];
  const failures: string[] = [];
  const listeners = new DetectionListeners((name, error) => failures.push(`${name}: ${(error as Error).message}`));
  return { log, failures, listeners };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('DetectionListeners', () => {
  it('calls a `raised` listener while the detections are being stored, and a `stored` one only after', async () => {
    const { log, listeners } = setup();
    listeners.add('sse', async () => void log.push('stored listener'));
    listeners.add('alerting', async () => void log.push('raised listener'), { on: 'raised' });
    const write = gate();

    const published = listeners.publish(DETECTIONS, CONTEXT, () => write.promise.then(() => void log.push('written')));
    await tick();
    expect(log).toEqual(['raised listener']);

    write.open();
    await published;
    expect(log).toEqual(['raised listener', 'written', 'stored listener']);
  });

  it('runs the listeners of one timing side by side: a slow one does not hold back the next', async () => {
    const { log, listeners } = setup();
    const containment = gate();
    listeners.add('auto-containment', () => containment.promise.then(() => void log.push('contained')), { on: 'raised' });
    listeners.add('alerting', async () => void log.push('alerted'), { on: 'raised' });

    const published = listeners.publish(DETECTIONS, CONTEXT, async () => undefined);
    await tick();
    expect(log).toEqual(['alerted']);
    containment.open();
    await published;
    expect(log).toEqual(['alerted', 'contained']);
  });

  it('when storing fails: the `raised` listeners were still heard out, the `stored` ones are not called, the error reaches the caller', async () => {
    const { log, listeners } = setup();
    listeners.add('alerting', async () => void log.push('alerted'), { on: 'raised' });
    listeners.add('sse', async () => void log.push('streamed'));
    const write = gate();

    const published = listeners.publish(DETECTIONS, CONTEXT, () => write.promise);
    write.fail(new Error('engine unavailable'));
    await expect(published).rejects.toThrow('engine unavailable');
    expect(log).toEqual(['alerted']);
  });

  it("reports a listener's failure without stopping the others or the batch", async () => {
    const { log, failures, listeners } = setup();
    listeners.add('broken', async () => {
      throw new Error('boom');
    });
    listeners.add('sse', async (detections) => void log.push(`streamed ${detections.map((d) => d.detection_id).join()}`));

    await listeners.publish(DETECTIONS, CONTEXT, async () => undefined);
    expect(failures).toEqual(['broken: boom']);
    expect(log).toEqual(['streamed d1']);
  });

  it('resolves with the `raised` listeners that failed for a reason worth another try, so what they owe is not dropped', async () => {
    const { failures, listeners } = setup();
    listeners.add('alerting', async () => {
      throw new Error('outbox unavailable');
    }, { on: 'raised' });
    listeners.add('auto-containment', async () => {
      throw new TypeError('a bug: another try would repeat it');
    }, { on: 'raised' });
    listeners.add('sse', async () => {
      throw new Error('stream closed');
    });

    await expect(listeners.publish(DETECTIONS, CONTEXT, async () => undefined)).resolves.toEqual(['alerting']);
    expect(failures).toHaveLength(3);
  });

  it('tells the caller of a failed write which `raised` listeners failed too', async () => {
    const { listeners } = setup();
    listeners.add('alerting', async () => {
      throw new Error('outbox unavailable');
    }, { on: 'raised' });
    const published = listeners.publish(DETECTIONS, CONTEXT, async () => {
      throw new Error('engine unavailable');
    });
    await expect(published).rejects.toBeInstanceOf(DetectionsNotStored);
    await expect(published).rejects.toMatchObject({ owed: ['alerting'], cause: new Error('engine unavailable') });
  });

  it('calls again only the listeners named, and reports those that failed again', async () => {
    const { log, listeners } = setup();
    let alertingFailures = 2;
    listeners.add('alerting', async () => {
      log.push('alerting');
      if (alertingFailures-- > 0) throw new Error('outbox unavailable');
    }, { on: 'raised' });
    listeners.add('auto-containment', async () => void log.push('auto-containment'), { on: 'raised' });

    expect(await listeners.publish(DETECTIONS, CONTEXT, async () => undefined)).toEqual(['alerting']);
    expect(await listeners.retry(['alerting'], DETECTIONS, CONTEXT)).toEqual(['alerting']);
    expect(await listeners.retry(['alerting'], DETECTIONS, CONTEXT)).toEqual([]);
    expect(log).toEqual(['alerting', 'auto-containment', 'alerting', 'alerting']);
  });

  it('stops calling a listener once it unsubscribes', async () => {
    const { log, listeners } = setup();
    const unsubscribe = listeners.add('sse', async () => void log.push('streamed'));
    await listeners.publish(DETECTIONS, CONTEXT, async () => undefined);
    unsubscribe();
    await listeners.publish(DETECTIONS, CONTEXT, async () => undefined);
    expect(log).toEqual(['streamed']);
  });
});
