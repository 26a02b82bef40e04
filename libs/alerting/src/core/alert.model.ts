import { ruleKindSchema, severitySchema, type Severity } from '@warden/detection';
import { z } from 'zod';

const SEVERITY_RANK: Record<Severity, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

export function severityAtLeast(severity: Severity, minimum: Severity | undefined): boolean {
  return minimum === undefined || SEVERITY_RANK[severity] >= SEVERITY_RANK[minimum];
}

export function maxSeverity(a: Severity, b: Severity): Severity {
  return SEVERITY_RANK[a] >= SEVERITY_RANK[b] ? a : b;
}

export const alertStatusSchema = z.enum(['open', 'resolved']);
export type AlertStatus = z.infer<typeof alertStatusSchema>;

/** What happened to one detection's notifications. */
export const detectionOutcomeSchema = z.enum(['notified', 'suppressed', 'unrouted']);
export type DetectionOutcome = z.infer<typeof detectionOutcomeSchema>;

/**
 * One alert: the detections of one group (rule, tenant, principal) from the
 * first one until the alert is resolved. Stored as a new row on every change
 * (`revision` increases); the newest revision is the state.
 *
 * Times from detections stay RFC 3339 strings (microsecond precision);
 * Warden's own clock readings are epoch milliseconds.
 */
export interface AlertState {
  alert_id: string;
  group_key: string;
  /** 1 for the group's first alert; +1 each time an alert opens after the previous one was resolved. */
  episode: number;
  revision: number;
  status: AlertStatus;
  tenant: string;
  rule_id: string;
  rule_kind: z.infer<typeof ruleKindSchema>;
  /** Highest severity seen in this alert. */
  severity: Severity;
  principal_id: string;
  /** From the latest detection. */
  title: string;
  summary: string;
  /** PagerDuty dedup_key: stable per group, so every trigger and the resolve address one incident. */
  dedup_key: string;
  opened_at_ms: number;
  updated_at_ms: number;
  resolved_at_ms: number | null;
  /** The current throttle window: it starts with the first detection after the previous window ended. */
  window_start_ms: number;
  window_notifications: number;
  window_pagerduty_updates: number;
  /** Detections in this alert (distinct detection_ids), suppressed ones included. */
  count: number;
  /** Events the rules counted across those detections. */
  event_count: number;
  /** Detections that were announced to the throttled sinks (Slack, webhook). */
  notifications: number;
  /** Detections whose notification the throttle withheld (from at least one sink). */
  suppressed: number;
  first_seen: string;
  last_seen: string;
  /** Most recent evidence across the alert's detections, capped like a detection's own list. */
  evidence_event_ids: string[];
  last_detection_id: string;
  last_outcome: DetectionOutcome;
  trigger_event_id: string;
  auto_contain: boolean;
  /** Sinks that received a trigger for this alert: they are the ones told about the resolve. */
  notified_sinks: string[];
}

export const alertActionSchema = z.enum(['trigger', 'resolve']);
export type AlertAction = z.infer<typeof alertActionSchema>;

/**
 * What a sink is told: a snapshot of the alert when the notification was
 * decided. Stored with the delivery (the outbox), so a retry after a restart
 * sends exactly what was decided, whatever happened to the alert since.
 */
export const alertNotificationSchema = z.strictObject({
  action: alertActionSchema,
  alert_id: z.string(),
  group_key: z.string(),
  dedup_key: z.string(),
  tenant: z.string(),
  rule_id: z.string(),
  rule_kind: ruleKindSchema,
  severity: severitySchema,
  principal_id: z.string(),
  title: z.string(),
  summary: z.string(),
  count: z.int().nonnegative(),
  event_count: z.int().nonnegative(),
  suppressed: z.int().nonnegative(),
  first_seen: z.string(),
  last_seen: z.string(),
  evidence_event_ids: z.array(z.string()),
  detection_id: z.string(),
  trigger_event_id: z.string(),
  auto_contain: z.boolean(),
  /** The console page of the detection that caused this notification. */
  console_link: z.string(),
  /** When Warden decided to notify (epoch ms). */
  decided_at_ms: z.int(),
});
export type AlertNotification = z.infer<typeof alertNotificationSchema>;
