import { type RetryPolicy, type UtcInstant, isProgrammingError, retry } from '@warden/common';
import type { Detection } from '../detection/detection.schema.js';

/** Where detections are stored (the ClickHouse repository in the app). */
export interface DetectionStore {
  insert(detections: Detection[], detectedAt: UtcInstant): Promise<void>;
}

export interface DetectionWriterOptions {
  policy: RetryPolicy;
  /** Attempts in all, the first included; the last failure is then thrown. */
  maxAttempts: number;
  /** False gives up at the next retry (shutdown): the checkpoint then stays before the batch. */
  shouldContinue: () => boolean;
  onRetry: (error: unknown, attempt: number, delayMs: number) => void;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Stores a batch's detections, retrying a failed write with capped backoff.
 * By the time it writes, the alerts of those detections may be out: a write
 * lost to a brief storage fault would leave on-call with an alert whose
 * detection Warden cannot show. The write replaces rather than adds (the
 * table keeps one row per detection_id), so a write that landed but whose
 * answer was lost is safe to repeat. A JavaScript fault is a bug and is not
 * retried.
 */
export class DetectionWriter {
  constructor(
    private readonly store: DetectionStore,
    private readonly options: DetectionWriterOptions,
  ) {}

  write(detections: Detection[], detectedAt: UtcInstant): Promise<void> {
    const { policy, maxAttempts, shouldContinue, onRetry, sleep } = this.options;
    return retry({
      policy,
      maxAttempts,
      shouldContinue,
      onRetry,
      sleep,
      isRetriable: (error) => !isProgrammingError(error),
      task: () => this.store.insert(detections, detectedAt),
    });
  }
}
