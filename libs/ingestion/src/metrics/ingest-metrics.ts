import { type Counter, type Histogram, metrics } from '@opentelemetry/api';
import { Injectable } from '@nestjs/common';

type Transport = 'http' | 'kafka';

/** Keeps the last N samples, for latency quantiles without unbounded memory. */
class Reservoir {
  private readonly samples: number[] = [];
  private next = 0;
  count = 0;
  sum = 0;
  max = 0;
  constructor(private readonly size = 2048) {}
  add(value: number): void {
    this.count++;
    this.sum += value;
    if (value > this.max) this.max = value;
    if (this.samples.length < this.size) this.samples.push(value);
    else this.samples[this.next] = value;
    this.next = (this.next + 1) % this.size;
  }
  quantile(q: number): number {
    if (this.samples.length === 0) return 0;
    const sorted = [...this.samples].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  }
  snapshot(): { count: number; avg: number; p50: number; p99: number; max: number } {
    const round = (n: number) => Math.round(n * 100) / 100;
    return {
      count: this.count,
      avg: round(this.count === 0 ? 0 : this.sum / this.count),
      p50: round(this.quantile(0.5)),
      p99: round(this.quantile(0.99)),
      max: round(this.max),
    };
  }
}

export interface IngestMetricsSnapshot {
  received: Record<Transport, number>;
  stored: number;
  duplicates: number;
  rejected: Record<string, number>;
  storage_failures: number;
  /** Batches the write pacing held that a step after storage (detection) may act on: they skip it, within the early-start budget. */
  urgent_batches: number;
  batch_size: ReturnType<Reservoir['snapshot']>;
  insert_latency_ms: ReturnType<Reservoir['snapshot']>;
  consumer_lag: Record<string, number>;
  after_store_failures: Record<string, number>;
  redactions: Record<string, number>;
  /** Per tenant, stored batches whose digest failed for good and is not chained yet (see DigestWriter). */
  owed_digests: Record<string, number>;
}

/**
 * Ingest counters, readable at GET /v1/ingest/metrics. In-process and
 * cheap to update on the hot path; OpenTelemetry export reads the same numbers.
 */
@Injectable()
export class IngestMetrics {
  private readonly received: Record<Transport, number> = { http: 0, kafka: 0 };
  private storedCount = 0;
  private duplicateCount = 0;
  private readonly rejected = new Map<string, number>();
  private storageFailures = 0;
  private urgentBatches = 0;
  private readonly batchSizes = new Reservoir();
  private readonly insertLatency = new Reservoir();
  private readonly lag = new Map<string, number>();
  private readonly afterStoreFailures = new Map<string, number>();
  private readonly redactions = new Map<string, number>();
  private owedDigests: () => Record<string, number> = () => ({});
  // The same numbers as OpenTelemetry instruments (Prometheus at /metrics, OTLP when configured).
  private readonly otel: {
    received: Counter;
    stored: Counter;
    duplicates: Counter;
    rejected: Counter;
    storageFailures: Counter;
    redactions: Counter;
    insertDuration: Histogram;
    batchSize: Histogram;
  };

  constructor() {
    const meter = metrics.getMeter('warden');
    this.otel = {
      received: meter.createCounter('warden.ingest.events.received', { description: 'Events received, by transport' }),
      stored: meter.createCounter('warden.ingest.events.stored', { description: 'Events newly stored' }),
      duplicates: meter.createCounter('warden.ingest.duplicates', { description: 'Events already stored (by event_id)' }),
      rejected: meter.createCounter('warden.ingest.rejected', { description: 'Invalid events (HTTP: rejected table; Kafka: dead letters), by reason' }),
      storageFailures: meter.createCounter('warden.ingest.storage.failures', { description: 'Failed store attempts (retried)' }),
      redactions: meter.createCounter('warden.ingest.redactions', { description: 'Secrets masked before storage, by kind' }),
      insertDuration: meter.createHistogram('warden.ingest.batch.insert.duration.seconds', { unit: 's', advice: { explicitBucketBoundaries: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] }, description: 'One write of a group: the wait for its dedupe check (asked when its batches arrived), the insert and the chained digest' }),
      batchSize: meter.createHistogram('warden.ingest.batch.size', { description: 'Events per insert' }),
    };
    meter
      .createObservableGauge('warden.kafka.consumer.lag', { description: 'Messages behind the end of each partition' })
      .addCallback((result) => {
        for (const [key, lag] of this.lag) {
          const at = key.lastIndexOf('/');
          result.observe(lag, { topic: key.slice(0, at), partition: key.slice(at + 1) });
        }
      });
    meter
      .createObservableGauge('warden.integrity.digests.owed', { description: 'Stored batches whose digest failed for good and is not chained yet, by tenant' })
      .addCallback((result) => {
        for (const [tenant, batches] of Object.entries(this.owedDigests())) result.observe(batches, { tenant });
      });
  }

  recordReceived(transport: Transport, n: number): void {
    this.received[transport] += n;
    this.otel.received.add(n, { transport });
  }
  recordStored(inserted: number, duplicates: number): void {
    this.storedCount += inserted;
    this.duplicateCount += duplicates;
    if (inserted > 0) this.otel.stored.add(inserted);
    if (duplicates > 0) this.otel.duplicates.add(duplicates);
  }
  /** `reason`: contract, not_json, too_large, …; keyed by transport so HTTP rejections and Kafka dead letters stay apart. */
  recordRejected(transport: Transport, reason: string, n = 1): void {
    if (n === 0) return;
    const key = `${transport}.${reason}`;
    this.rejected.set(key, (this.rejected.get(key) ?? 0) + n);
    this.otel.rejected.add(n, { transport, reason });
  }
  /** Secrets masked before storage, by kind. */
  recordRedactions(redactions: readonly { kind: string }[]): void {
    for (const r of redactions) {
      this.redactions.set(r.kind, (this.redactions.get(r.kind) ?? 0) + 1);
      this.otel.redactions.add(1, { kind: r.kind });
    }
  }

  recordInsert(rows: number, latencyMs: number): void {
    this.batchSizes.add(rows);
    this.insertLatency.add(latencyMs);
    this.otel.batchSize.record(rows);
    this.otel.insertDuration.record(latencyMs / 1000);
  }
  recordUrgentBatch(): void {
    this.urgentBatches++;
  }
  recordStorageFailure(): void {
    this.storageFailures++;
    this.otel.storageFailures.add(1);
  }
  recordAfterStoreFailure(step: string): void {
    this.afterStoreFailures.set(step, (this.afterStoreFailures.get(step) ?? 0) + 1);
  }
  /** Where the owed digests are read from (the digest writer), for the snapshot and the gauge. */
  observeOwedDigests(source: () => Record<string, number>): void {
    this.owedDigests = source;
  }
  recordLag(topic: string, partition: number, lag: number): void {
    this.lag.set(`${topic}/${partition}`, lag);
  }

  snapshot(): IngestMetricsSnapshot {
    return {
      received: { ...this.received },
      stored: this.storedCount,
      duplicates: this.duplicateCount,
      rejected: Object.fromEntries([...this.rejected].sort()),
      storage_failures: this.storageFailures,
      urgent_batches: this.urgentBatches,
      batch_size: this.batchSizes.snapshot(),
      insert_latency_ms: this.insertLatency.snapshot(),
      consumer_lag: Object.fromEntries([...this.lag].sort()),
      after_store_failures: Object.fromEntries([...this.afterStoreFailures].sort()),
      redactions: Object.fromEntries([...this.redactions].sort()),
      owed_digests: this.owedDigests(),
    };
  }
}
