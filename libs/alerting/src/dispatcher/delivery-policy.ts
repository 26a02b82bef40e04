import { backoffDelay } from '@warden/common';
import { DELIVERY_ERROR } from '../alerting.errors.js';
import type { AlertingRetryPolicy } from '../config/alerting-config.schema.js';
import type { PlannedNotification } from '../core/alert-grouper.js';
import type { DeliveryRecord, DetectionTiming } from '../outbox/alert-outbox.port.js';
import type { HttpOutcome } from '../sinks/http-transport.js';

/** A delivery as first written to the outbox: pending, due now, no attempt yet. */
export function newDelivery(planned: PlannedNotification, timing: DetectionTiming | null, nowMs: number): DeliveryRecord {
  return {
    delivery_id: planned.delivery_id,
    tenant: planned.notification.tenant,
    alert_id: planned.notification.alert_id,
    group_key: planned.notification.group_key,
    sink: planned.sink,
    sink_type: planned.sink_type,
    action: planned.action,
    status: 'pending',
    revision: 0,
    attempt: 0,
    error_code: null,
    last_error: null,
    last_status_code: null,
    next_attempt_at_ms: nowMs,
    created_at_ms: nowMs,
    recorded_at_ms: nowMs,
    dispatched_at_ms: null,
    timing,
    notification: planned.notification,
  };
}

/**
 * The delivery's next state after one attempt. Pure: the clock and the
 * jitter's randomness are passed in. Retriable failures wait a capped,
 * jittered, doubling delay (`backoffDelay` from @warden/common) until
 * `max_attempts` attempts were made; anything else ends the delivery.
 */
export function afterAttempt(
  delivery: DeliveryRecord,
  outcome: HttpOutcome,
  nowMs: number,
  policy: AlertingRetryPolicy,
  random: () => number = Math.random,
): DeliveryRecord {
  const attempt = delivery.attempt + 1;
  const base = { ...delivery, attempt, revision: delivery.revision + 1, recorded_at_ms: nowMs, last_status_code: outcome.status };
  if (outcome.kind === 'delivered') {
    return { ...base, status: 'delivered', dispatched_at_ms: nowMs, error_code: null, last_error: null };
  }
  if (outcome.kind === 'rejected') {
    return { ...base, status: 'failed', error_code: outcome.code, last_error: outcome.error };
  }
  if (attempt >= policy.max_attempts) {
    return {
      ...base,
      status: 'failed',
      error_code: DELIVERY_ERROR.GAVE_UP,
      last_error: `gave up after ${attempt} attempts; last: ${outcome.code}: ${outcome.error}`,
    };
  }
  const delay = backoffDelay(attempt, { initialMs: policy.initial_delay_ms, maxMs: policy.max_delay_ms }, random);
  return { ...base, status: 'pending', error_code: outcome.code, last_error: outcome.error, next_attempt_at_ms: nowMs + delay };
}

/** A delivery whose sink was removed from the configuration: nobody can send it, so it is failed and listed. */
export function sinkNotConfigured(delivery: DeliveryRecord, nowMs: number): DeliveryRecord {
  return {
    ...delivery,
    status: 'failed',
    revision: delivery.revision + 1,
    recorded_at_ms: nowMs,
    error_code: DELIVERY_ERROR.SINK_NOT_CONFIGURED,
    last_error: `no sink named "${delivery.sink}" is configured any more`,
  };
}
