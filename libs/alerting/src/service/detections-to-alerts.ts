import { DomainError, type RetryPolicy, isProgrammingError, retry, toRfc3339Utc } from '@warden/common';
import type { DetectionContext, DetectionListener, Severity } from '@warden/detection';
import type { AlertingLogger } from '../alerting.logger.js';
import type { AlertDispatcher } from '../dispatcher/alert-dispatcher.js';

const SEVERITY_RANK: Record<Severity, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

/** Tries of a batch's acceptance before it is given up as a listener failure (about 3 s of backoff at the default policy). */
export const ACCEPT_ATTEMPTS = 5;

export interface DetectionsToAlertsOptions {
  dispatcher: Pick<AlertDispatcher, 'acceptAll'>;
  policy: RetryPolicy;
  logger: AlertingLogger;
  /** False stops retrying (shutdown). */
  shouldContinue?: () => boolean;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * The detection listener that hands a batch's detections to the dispatcher,
 * together (one read and one write per table for all of them: an alert storm
 * costs a few statements, not a few per detection), the most severe first.
 * A failed acceptance (the outbox's storage) is tried again: the dispatcher
 * redoes only what is missing and lands on the same ids, so a storage blip
 * delays an alert instead of losing it. Errors of the dispatcher's own
 * (stopped, bad timing) and bugs are not retried.
 */
export function detectionsToAlerts(options: DetectionsToAlertsOptions): DetectionListener {
  return async (detections, { ingestedAt, events }: DetectionContext) => {
    const occurred = new Map(events.map((e) => [e.event_id, e.occurred_at]));
    const ingested_at = toRfc3339Utc(ingestedAt);
    const items = [...detections]
      .sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity])
      .map((d) => ({ detection: d, timing: { occurred_at: occurred.get(d.trigger_event_id) ?? d.last_seen, ingested_at } }));
    await retry({
      policy: options.policy,
      maxAttempts: ACCEPT_ATTEMPTS,
      isRetriable: (error) => !(error instanceof DomainError) && !isProgrammingError(error),
      ...(options.shouldContinue ? { shouldContinue: options.shouldContinue } : {}),
      ...(options.sleep ? { sleep: options.sleep } : {}),
      onRetry: (error, attempt, delayMs) => {
        // The engine's message may quote the statement: its start says what failed.
        options.logger.warn({ detections: items.length, attempt, retry_in_ms: delayMs, err: (error as Error).message?.slice(0, 300) }, 'accepting detections failed; retrying');
      },
      task: () => options.dispatcher.acceptAll(items),
    });
  };
}
