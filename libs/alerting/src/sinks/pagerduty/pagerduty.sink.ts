import type { Severity } from '@warden/detection';
import type { z } from 'zod';
import type { pagerDutySinkSchema } from '../../config/alerting-config.schema.js';
import type { AlertNotification } from '../../core/alert.model.js';
import type { AlertSink, SinkRequest } from '../alert-sink.js';
import { truncate } from '../truncate.js';

export type PagerDutySinkConfig = z.output<typeof pagerDutySinkSchema>;
export type PagerDutySeverity = 'critical' | 'error' | 'warning' | 'info';

/** PagerDuty has four severities; Warden's five fold into them (low is not worth a warning). */
export const PAGERDUTY_SEVERITY: Record<Severity, PagerDutySeverity> = {
  critical: 'critical',
  high: 'error',
  medium: 'warning',
  low: 'info',
  info: 'info',
};

/** Events API v2 limits `payload.summary` to 1024 characters. */
const SUMMARY_MAX = 1024;

export interface PagerDutyTriggerEvent {
  routing_key: string;
  event_action: 'trigger';
  dedup_key: string;
  payload: {
    summary: string;
    source: string;
    severity: PagerDutySeverity;
    timestamp: string;
    component: string;
    group: string;
    class: string;
    custom_details: Record<string, unknown>;
  };
  client: string;
  client_url: string;
  links: { href: string; text: string }[];
}

export interface PagerDutyResolveEvent {
  routing_key: string;
  event_action: 'resolve';
  dedup_key: string;
}

/** The Events API v2 body. Pure, exported for specs and for anyone replaying an alert by hand. */
export function pagerDutyEvent(n: AlertNotification, routingKey: string): PagerDutyTriggerEvent | PagerDutyResolveEvent {
  if (n.action === 'resolve') return { routing_key: routingKey, event_action: 'resolve', dedup_key: n.dedup_key };
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: n.dedup_key,
    payload: {
      summary: truncate(`[${n.severity}] ${n.title}: ${n.principal_id} (${n.tenant})${n.count > 1 ? `, ${n.count} detections` : ''}`, SUMMARY_MAX),
      source: `warden/${n.tenant}`,
      severity: PAGERDUTY_SEVERITY[n.severity],
      // When the activity was last seen, which is what a responder's timeline wants.
      timestamp: n.last_seen,
      component: n.principal_id,
      group: n.tenant,
      class: n.rule_id,
      custom_details: {
        summary: n.summary,
        count: n.count,
        event_count: n.event_count,
        suppressed_notifications: n.suppressed,
        rule_id: n.rule_id,
        rule_kind: n.rule_kind,
        tenant: n.tenant,
        principal_id: n.principal_id,
        detection_id: n.detection_id,
        alert_id: n.alert_id,
        trigger_event_id: n.trigger_event_id,
        evidence_event_ids: n.evidence_event_ids,
        first_seen: n.first_seen,
        last_seen: n.last_seen,
        auto_contain: n.auto_contain,
        console_url: n.console_link,
      },
    },
    client: 'Warden',
    client_url: n.console_link,
    links: [{ href: n.console_link, text: 'Open the detection in Warden' }],
  };
}

export class PagerDutySink implements AlertSink {
  readonly type = 'pagerduty' as const;
  readonly name: string;

  constructor(private readonly config: PagerDutySinkConfig) {
    this.name = config.name;
  }

  request(notification: AlertNotification): SinkRequest {
    return {
      url: this.config.url,
      headers: { 'content-type': 'application/json', 'user-agent': 'warden-alerting' },
      body: JSON.stringify(pagerDutyEvent(notification, this.config.routing_key.reveal())),
    };
  }
}
