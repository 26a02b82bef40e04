import { parseRfc3339, toRfc3339Utc } from '@warden/common';
import { MAX_EVIDENCE_IDS, type Detection } from '@warden/detection';
import type { AlertingConfig, SinkType } from '../config/alerting-config.schema.js';
import { alertIdFor, dedupKeyFor, deliveryIdFor } from './alert-ids.js';
import { routeDetection, type RoutedSink } from './alert-router.js';
import { maxSeverity, type AlertAction, type AlertNotification, type AlertState, type DetectionOutcome } from './alert.model.js';
import { consoleDetectionLink } from './console-link.js';

export interface PlannedNotification {
  delivery_id: string;
  sink: string;
  sink_type: SinkType;
  action: AlertAction;
  notification: AlertNotification;
}

export interface DetectionDecision {
  /** `opened`: this detection starts a new alert; `grouped`: it joins the group's open alert. */
  kind: 'opened' | 'grouped';
  alert: AlertState;
  outcome: DetectionOutcome;
  /** To send now. */
  notifications: PlannedNotification[];
  /** Routed sinks the throttle kept quiet this time. */
  suppressed_sinks: string[];
}

export interface ResolveDecision {
  alert: AlertState;
  notifications: PlannedNotification[];
  /** Sinks that were notified but are no longer configured: they cannot be told. */
  unknown_sinks: string[];
}

/** Sinks that understand a resolve. Slack incoming webhooks cannot edit the message they posted. */
const RESOLVABLE: ReadonlySet<SinkType> = new Set(['pagerduty', 'webhook']);

type GrouperConfig = Pick<AlertingConfig, 'sinks' | 'routes' | 'grouping' | 'throttle' | 'console_url'>;

const normalise = (time: string): string => toRfc3339Utc(parseRfc3339(time));
const instant = (time: string): number => {
  const i = parseRfc3339(time);
  return i.epochSeconds * 1_000_000 + i.micros;
};

/** Most recent last: the evidence already held, then the new detection's, each id once, capped. */
function mergeEvidence(held: string[], incoming: string[]): string[] {
  const merged = [...held.filter((id) => !incoming.includes(id)), ...incoming];
  return merged.slice(Math.max(0, merged.length - MAX_EVIDENCE_IDS));
}

/**
 * Grouping, throttling and routing, as pure decisions: given the group's
 * current alert (or none), a detection and the time, what the alert becomes
 * and who is told. No I/O and no clock: `now` is passed in.
 *
 * - One open alert per group (rule, tenant, principal) until it is
 *   resolved; every detection is counted in it, whether or not anyone is
 *   notified (throttling suppresses notifications, never detections).
 * - Throttle windows: the first detection after a window ended starts a new
 *   one. Within a window, Slack and webhook sinks hear about at most
 *   `max_notifications_per_window` detections; PagerDuty is re-triggered
 *   with the same dedup_key (it updates the incident's count instead of
 *   paging again) up to `max_pagerduty_updates_per_window` times.
 */
export class AlertGrouper {
  constructor(private readonly config: GrouperConfig) {}

  route(detection: Detection): RoutedSink[] {
    return routeDetection(detection, this.config);
  }

  decide(previous: AlertState | null, detection: Detection, nowMs: number): DetectionDecision {
    const joins = previous !== null && previous.status === 'open';
    const base = joins ? previous : this.open(previous, detection, nowMs);
    const windowOpen = joins && nowMs < previous.window_start_ms + this.config.grouping.window;
    const windowed: AlertState = windowOpen
      ? base
      : { ...base, window_start_ms: nowMs, window_notifications: 0, window_pagerduty_updates: 0 };

    const routed = this.route(detection);
    const throttled = routed.filter((s) => s.type !== 'pagerduty');
    const pagerDuty = routed.filter((s) => s.type === 'pagerduty');
    const notifyThrottled = throttled.length > 0 && windowed.window_notifications < this.config.throttle.max_notifications_per_window;
    const notifyPagerDuty = pagerDuty.length > 0 && windowed.window_pagerduty_updates < this.config.throttle.max_pagerduty_updates_per_window;
    const sent = [...(notifyPagerDuty ? pagerDuty : []), ...(notifyThrottled ? throttled : [])];
    const suppressedSinks = [...(notifyPagerDuty ? [] : pagerDuty), ...(notifyThrottled ? [] : throttled)].map((s) => s.name);
    const outcome: DetectionOutcome = routed.length === 0 ? 'unrouted' : suppressedSinks.length > 0 ? 'suppressed' : 'notified';

    const first = joins && instant(previous.first_seen) <= instant(detection.first_seen) ? previous.first_seen : normalise(detection.first_seen);
    const last = joins && instant(previous.last_seen) >= instant(detection.last_seen) ? previous.last_seen : normalise(detection.last_seen);
    const alert: AlertState = {
      ...windowed,
      revision: joins ? previous.revision + 1 : 1,
      severity: joins ? maxSeverity(previous.severity, detection.severity) : detection.severity,
      title: detection.title,
      summary: detection.summary,
      updated_at_ms: nowMs,
      window_notifications: windowed.window_notifications + (notifyThrottled ? 1 : 0),
      window_pagerduty_updates: windowed.window_pagerduty_updates + (notifyPagerDuty ? 1 : 0),
      count: (joins ? previous.count : 0) + 1,
      event_count: (joins ? previous.event_count : 0) + detection.count,
      notifications: (joins ? previous.notifications : 0) + (notifyThrottled ? 1 : 0),
      suppressed: (joins ? previous.suppressed : 0) + (outcome === 'suppressed' ? 1 : 0),
      first_seen: first,
      last_seen: last,
      evidence_event_ids: mergeEvidence(joins ? previous.evidence_event_ids : [], detection.evidence_event_ids),
      last_detection_id: detection.detection_id,
      last_outcome: outcome,
      trigger_event_id: detection.trigger_event_id,
      auto_contain: (joins && previous.auto_contain) || detection.auto_contain,
      notified_sinks: [...new Set([...(joins ? previous.notified_sinks : []), ...sent.map((s) => s.name)])],
    };
    return {
      kind: joins ? 'grouped' : 'opened',
      alert,
      outcome,
      notifications: sent.map((sink) => this.plan(sink, 'trigger', detection.detection_id, alert, nowMs)),
      suppressed_sinks: suppressedSinks,
    };
  }

  /** Closes the group's open alert; null when there is none (already resolved, or never opened). */
  resolve(previous: AlertState | null, nowMs: number): ResolveDecision | null {
    if (previous === null || previous.status !== 'open') return null;
    const alert: AlertState = { ...previous, status: 'resolved', revision: previous.revision + 1, updated_at_ms: nowMs, resolved_at_ms: nowMs };
    const known = new Map(this.config.sinks.map((s) => [s.name, s.type] as const));
    const notifications: PlannedNotification[] = [];
    const unknown: string[] = [];
    for (const name of alert.notified_sinks) {
      const type = known.get(name);
      if (type === undefined) unknown.push(name);
      else if (RESOLVABLE.has(type)) notifications.push(this.plan({ name, type }, 'resolve', alert.alert_id, alert, nowMs));
    }
    return { alert, notifications, unknown_sinks: unknown };
  }

  private open(previous: AlertState | null, detection: Detection, nowMs: number): AlertState {
    const episode = previous === null ? 1 : previous.episode + 1;
    return {
      alert_id: alertIdFor(detection.group_key, episode),
      group_key: detection.group_key,
      episode,
      revision: 0,
      status: 'open',
      tenant: detection.tenant,
      rule_id: detection.rule_id,
      rule_kind: detection.rule_kind,
      severity: detection.severity,
      principal_id: detection.principal_id,
      title: detection.title,
      summary: detection.summary,
      dedup_key: dedupKeyFor(detection.group_key),
      opened_at_ms: nowMs,
      updated_at_ms: nowMs,
      resolved_at_ms: null,
      window_start_ms: nowMs,
      window_notifications: 0,
      window_pagerduty_updates: 0,
      count: 0,
      event_count: 0,
      notifications: 0,
      suppressed: 0,
      first_seen: normalise(detection.first_seen),
      last_seen: normalise(detection.last_seen),
      evidence_event_ids: [],
      last_detection_id: detection.detection_id,
      last_outcome: 'unrouted',
      trigger_event_id: detection.trigger_event_id,
      auto_contain: detection.auto_contain,
      notified_sinks: [],
    };
  }

  private plan(sink: RoutedSink, action: AlertAction, subject: string, alert: AlertState, nowMs: number): PlannedNotification {
    return {
      delivery_id: deliveryIdFor(sink.name, action, subject),
      sink: sink.name,
      sink_type: sink.type,
      action,
      notification: {
        action,
        alert_id: alert.alert_id,
        group_key: alert.group_key,
        dedup_key: alert.dedup_key,
        tenant: alert.tenant,
        rule_id: alert.rule_id,
        rule_kind: alert.rule_kind,
        severity: alert.severity,
        principal_id: alert.principal_id,
        title: alert.title,
        summary: alert.summary,
        count: alert.count,
        event_count: alert.event_count,
        suppressed: alert.suppressed,
        first_seen: alert.first_seen,
        last_seen: alert.last_seen,
        evidence_event_ids: alert.evidence_event_ids,
        detection_id: alert.last_detection_id,
        trigger_event_id: alert.trigger_event_id,
        auto_contain: alert.auto_contain,
        console_link: consoleDetectionLink(this.config.console_url, alert.last_detection_id),
        decided_at_ms: nowMs,
      },
    };
  }
}
