export interface LatencySnapshot {
  /** Samples recorded since start; percentiles and max cover the most recent `capacity` of them. */
  count: number;
  p50_ms: number | null;
  p99_ms: number | null;
  max_ms: number | null;
}

/**
 * Recent latencies in memory: a ring of the last `capacity` samples, exact
 * nearest-rank percentiles over them. Small and allocation-free per sample;
 * long-term history is in the delivery rows (dispatched_at, occurred_at,
 * ingested_at), which SQL can aggregate.
 */
export class LatencyHistogram {
  private readonly samples: number[] = [];
  private next = 0;
  private total = 0;

  constructor(private readonly capacity = 10_000) {}

  record(ms: number): void {
    // Clocks of event sources can run ahead of ours; a negative latency means "no measurable delay".
    const value = Math.max(0, ms);
    if (this.samples.length < this.capacity) this.samples.push(value);
    else this.samples[this.next] = value;
    this.next = (this.next + 1) % this.capacity;
    this.total++;
  }

  snapshot(): LatencySnapshot {
    if (this.samples.length === 0) return { count: 0, p50_ms: null, p99_ms: null, max_ms: null };
    const sorted = [...this.samples].sort((a, b) => a - b);
    const rank = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
    return { count: this.total, p50_ms: rank(50), p99_ms: rank(99), max_ms: sorted[sorted.length - 1] };
  }
}

export interface DetectionLatencySnapshot {
  /** Trigger event's occurred_at → alert acknowledged by the sink: what the responder experiences. */
  from_occurred: LatencySnapshot;
  /** Event ingested → alert acknowledged: Warden's own share. */
  from_ingested: LatencySnapshot;
}

/** Detection latency per delivered trigger, both ways. */
export class DetectionLatency {
  private readonly occurred = new LatencyHistogram();
  private readonly ingested = new LatencyHistogram();

  record(dispatchedAtMs: number, occurredAt: string, ingestedAt: string): void {
    this.occurred.record(dispatchedAtMs - Date.parse(occurredAt));
    this.ingested.record(dispatchedAtMs - Date.parse(ingestedAt));
  }

  snapshot(): DetectionLatencySnapshot {
    return { from_occurred: this.occurred.snapshot(), from_ingested: this.ingested.snapshot() };
  }
}
