import { DomainError } from '@warden/common';

/**
 * Stable codes for everything alerting reports. Delivery failures are data
 * (stored on the delivery row as `error_code`), not exceptions: a sink being
 * down must never stop detections from being stored.
 */
export const ALERTING_ERROR = {
  CONFIG_INVALID: 'ALERTING.CONFIG_INVALID',
  NOT_STARTED: 'ALERTING.NOT_STARTED',
  STOPPED: 'ALERTING.STOPPED',
  INVALID_TIMING: 'ALERTING.INVALID_TIMING',
} as const;

export const DELIVERY_ERROR = {
  /** 429, 5xx: the receiver asked us to come back later. */
  UNAVAILABLE: 'DELIVERY.UNAVAILABLE',
  /** Connection refused or reset, DNS failure: nothing answered. */
  NETWORK: 'DELIVERY.NETWORK',
  /** No answer within `retry.timeout_ms`. */
  TIMEOUT: 'DELIVERY.TIMEOUT',
  /** Any other 4xx: the receiver refused this request; sending it again will not help. */
  REJECTED: 'DELIVERY.REJECTED',
  /** 3xx: redirects are not followed, so a signed payload never goes somewhere it was not configured to. */
  REDIRECTED: 'DELIVERY.REDIRECTED',
  /** Retriable failures went on for `retry.max_attempts` attempts. */
  GAVE_UP: 'DELIVERY.GAVE_UP',
  /** The delivery names a sink the current configuration no longer has. */
  SINK_NOT_CONFIGURED: 'DELIVERY.SINK_NOT_CONFIGURED',
} as const;
export type DeliveryErrorCode = (typeof DELIVERY_ERROR)[keyof typeof DELIVERY_ERROR];

export interface ConfigIssue {
  /** Dotted path from the YAML root, e.g. `alerting.sinks.1.secret`. */
  path: string;
  message: string;
}

export class AlertingConfigError extends DomainError {
  readonly code = ALERTING_ERROR.CONFIG_INVALID;
  constructor(readonly issues: ConfigIssue[]) {
    super(`Invalid alerting configuration:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`, { issues });
  }
}

/** `accept`/`resolve` before `start()`: pending deliveries from before a restart would be skipped. */
export class DispatcherNotStartedError extends DomainError {
  readonly code = ALERTING_ERROR.NOT_STARTED;
  constructor() {
    super('the alert dispatcher has not been started');
  }
}

export class DispatcherStoppedError extends DomainError {
  readonly code = ALERTING_ERROR.STOPPED;
  constructor() {
    super('the alert dispatcher is stopped');
  }
}

/** The caller's occurred_at / ingested_at are not RFC 3339 instants; refused before anything is stored. */
export class InvalidDetectionTimingError extends DomainError {
  readonly code = ALERTING_ERROR.INVALID_TIMING;
  constructor(detectionId: string, field: string) {
    super(`detection ${detectionId}: ${field} is not an RFC 3339 timestamp with offset`, { detectionId, field });
  }
}
