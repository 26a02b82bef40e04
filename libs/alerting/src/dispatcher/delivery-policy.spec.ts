import { describe, expect, it } from 'vitest';
import { AlertGrouper } from '../core/alert-grouper.js';
import { alertingConfig, detection, T0, timing, WEBHOOK_SECRET } from '../testing/alerting.fixtures.js';
import { afterAttempt, newDelivery, sinkNotConfigured } from './delivery-policy.js';

const config = alertingConfig({
  sinks: [{ name: 'hook', type: 'webhook', url: 'https://siem.example.test/hook', secret: WEBHOOK_SECRET }],
  retry: { max_attempts: 3, initial_delay_ms: 1_000, max_delay_ms: 3_000 },
});
const planned = new AlertGrouper(config).decide(null, detection({ trigger: 'e1' }), T0).notifications[0];
const fresh = newDelivery(planned, timing(T0 - 2_000, T0 - 500), T0);
const unavailable = { kind: 'retriable', status: 503, code: 'DELIVERY.UNAVAILABLE', error: 'HTTP 503' } as const;
/** random() = 1 gives the ceiling of the jittered delay, 0 half of it. */
const top = () => 1;

describe('what a delivery becomes after an attempt', () => {
  it('starts pending, due at once, with no attempt made', () => {
    expect(fresh).toMatchObject({ status: 'pending', revision: 0, attempt: 0, next_attempt_at_ms: T0, created_at_ms: T0, sink: 'hook', action: 'trigger' });
  });

  it('a 2xx makes it delivered, stamped with the time the receiver acknowledged', () => {
    expect(afterAttempt(fresh, { kind: 'delivered', status: 202 }, T0 + 80, config.retry, top)).toMatchObject({
      status: 'delivered',
      attempt: 1,
      revision: 1,
      dispatched_at_ms: T0 + 80,
      last_status_code: 202,
      error_code: null,
    });
  });

  it('a retriable failure waits a doubling, capped, jittered delay before the next attempt', () => {
    const first = afterAttempt(fresh, unavailable, T0, config.retry, top);
    expect(first).toMatchObject({ status: 'pending', attempt: 1, next_attempt_at_ms: T0 + 1_000, error_code: 'DELIVERY.UNAVAILABLE', last_error: 'HTTP 503' });
    const second = afterAttempt(first, unavailable, T0 + 1_000, config.retry, () => 0);
    // Ceiling 2 000 ms; with no jitter drawn, half of it.
    expect(second).toMatchObject({ status: 'pending', attempt: 2, next_attempt_at_ms: T0 + 2_000 });
  });

  it('gives up after max_attempts, keeping the last error', () => {
    const third = [1, 2, 3].reduce((d) => afterAttempt(d, unavailable, T0, config.retry, top), fresh);
    expect(third).toMatchObject({
      status: 'failed',
      attempt: 3,
      error_code: 'DELIVERY.GAVE_UP',
      last_error: 'gave up after 3 attempts; last: DELIVERY.UNAVAILABLE: HTTP 503',
    });
  });

  it('a 4xx fails it at once', () => {
    expect(
      afterAttempt(fresh, { kind: 'rejected', status: 400, code: 'DELIVERY.REJECTED', error: 'HTTP 400: bad' }, T0, config.retry, top),
    ).toMatchObject({ status: 'failed', attempt: 1, last_status_code: 400, error_code: 'DELIVERY.REJECTED', last_error: 'HTTP 400: bad' });
  });

  it('a sink removed from the configuration fails it without an attempt', () => {
    expect(sinkNotConfigured(fresh, T0 + 5)).toMatchObject({ status: 'failed', attempt: 0, revision: 1, error_code: 'DELIVERY.SINK_NOT_CONFIGURED' });
  });
});
