import type { UtcInstant } from '@warden/common';
import { describe, expect, it } from 'vitest';
import type { Detection } from '../detection/detection.schema.js';
import { type DetectionStore, DetectionWriter } from './detection-writer.js';

// The writer only passes detections through, so an id is all these specs need of one.
const DETECTIONS = [{ detection_id: 'd1' } as Detection];
const AT: UtcInstant = { epochSeconds: 1_795_000_000, micros: 0 };

/** A store whose first `failures` writes fail with `error`, then succeed. */
function flakyStore(failures: number, error: () => Error = () => new Error('Code: 252. Too many parts')) {
  const writes: string[][] = [];
  let calls = 0;
  const store: DetectionStore = {
    insert: async (detections) => {
      calls++;
      if (calls <= failures) throw error();
      writes.push(detections.map((d) => d.detection_id));
    },
  };
  return { store, writes, calls: () => calls };
}

function writer(store: DetectionStore, options: { maxAttempts?: number; shouldContinue?: () => boolean } = {}) {
  const retries: { attempt: number; delayMs: number }[] = [];
  const slept: number[] = [];
  const w = new DetectionWriter(store, {
    policy: { initialMs: 100, maxMs: 1_000 },
    maxAttempts: options.maxAttempts ?? 5,
    shouldContinue: options.shouldContinue ?? (() => true),
    onRetry: (_error, attempt, delayMs) => void retries.push({ attempt, delayMs }),
    sleep: async (ms) => void slept.push(ms),
  });
  return { w, retries, slept };
}

describe('DetectionWriter', () => {
  it('writes the detections once when storage answers', async () => {
    const s = flakyStore(0);
    const { w, retries } = writer(s.store);

    await w.write(DETECTIONS, AT);

    expect(s.writes).toEqual([['d1']]);
    expect(retries).toEqual([]);
  });

  it('retries a failed write with growing backoff until it lands', async () => {
    const s = flakyStore(2);
    const { w, retries, slept } = writer(s.store);

    await w.write(DETECTIONS, AT);

    expect(s.writes).toEqual([['d1']]);
    expect(retries.map((r) => r.attempt)).toEqual([1, 2]);
    expect(slept[0]).toBeGreaterThanOrEqual(50);
    expect(slept[0]).toBeLessThanOrEqual(100);
    expect(slept[1]).toBeGreaterThanOrEqual(100);
    expect(slept[1]).toBeLessThanOrEqual(200);
  });

  it('gives up after the last attempt with the storage error', async () => {
    const s = flakyStore(10);
    const { w } = writer(s.store, { maxAttempts: 3 });

    await expect(w.write(DETECTIONS, AT)).rejects.toThrow('Too many parts');
    expect(s.calls()).toBe(3);
    expect(s.writes).toEqual([]);
  });

  it('does not retry a JavaScript fault: it is a bug, not storage', async () => {
    const s = flakyStore(1, () => new TypeError("Cannot read properties of undefined (reading 'tenant')"));
    const { w } = writer(s.store);

    await expect(w.write(DETECTIONS, AT)).rejects.toThrow(TypeError);
    expect(s.calls()).toBe(1);
  });

  it('stops retrying when told to (shutdown), so the batch is evaluated again after the restart', async () => {
    const s = flakyStore(10);
    // The process starts stopping during the second attempt.
    const { w } = writer(s.store, { shouldContinue: () => s.calls() < 2 });

    await expect(w.write(DETECTIONS, AT)).rejects.toThrow('Too many parts');
    expect(s.calls()).toBe(2);
  });
});
