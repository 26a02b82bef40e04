import { describe, expect, it } from 'vitest';
import { DetectionLatency, LatencyHistogram } from './latency-histogram.js';

describe('latency histogram', () => {
  it('is empty before the first sample', () => {
    expect(new LatencyHistogram().snapshot()).toEqual({ count: 0, p50_ms: null, p99_ms: null, max_ms: null });
  });

  it('gives nearest-rank p50 and p99 and the max', () => {
    const h = new LatencyHistogram();
    for (let ms = 1; ms <= 200; ms++) h.record(ms);
    expect(h.snapshot()).toEqual({ count: 200, p50_ms: 100, p99_ms: 198, max_ms: 200 });
  });

  it('keeps the most recent samples when full, still counting all of them', () => {
    const h = new LatencyHistogram(3);
    [1000, 1, 2, 3].forEach((ms) => h.record(ms));
    expect(h.snapshot()).toEqual({ count: 4, p50_ms: 2, p99_ms: 3, max_ms: 3 });
  });

  it('reads a negative latency (a source clock ahead of ours) as zero', () => {
    const h = new LatencyHistogram();
    h.record(-50);
    expect(h.snapshot().max_ms).toBe(0);
  });

  it('measures detection latency from the event and from ingestion', () => {
    const latency = new DetectionLatency();
    latency.record(Date.parse('2026-11-24T09:00:02.500Z'), '2026-11-24T09:00:00Z', '2026-11-24T09:00:02Z');
    expect(latency.snapshot()).toEqual({
      from_occurred: { count: 1, p50_ms: 2500, p99_ms: 2500, max_ms: 2500 },
      from_ingested: { count: 1, p50_ms: 500, p99_ms: 500, max_ms: 500 },
    });
  });
});
