import { instantFromDate, toRfc3339Utc } from '@warden/common';
import { detectionId, groupKey, type Detection } from '@warden/detection';
import { alertingConfigSchema, type AlertingConfig, type AlertingConfigInput } from '../config/alerting-config.schema.js';
import type { DetectionTiming } from '../outbox/alert-outbox.port.js';
import { InMemoryAlertOutbox } from '../outbox/in-memory-alert-outbox.js';

/** Test support only (excluded from the library build). */

/** The instant specs count from: 2026-11-24T09:00:00Z. */
export const T0 = Date.UTC(2026, 10, 24, 9, 0, 0);

export const at = (seconds: number): string => new Date(T0 + seconds * 1000).toISOString();

export const CONSOLE_URL = 'https://warden.example.test/console';

export type DetectionOverrides = Partial<Omit<Detection, 'detection_id' | 'group_key' | 'trigger_event_id'>> & { trigger: string };

/** A valid detection whose ids are derived the way the engine derives them. Defaults: acme's agent-7 trips mass-deletion-burst (high). */
export function detection(overrides: DetectionOverrides): Detection {
  const { trigger, ...rest } = overrides;
  const rule_id = rest.rule_id ?? 'mass-deletion-burst';
  const tenant = rest.tenant ?? 'acme';
  const principal_id = rest.principal_id ?? 'agent-7';
  return {
    rule_kind: 'threshold',
    severity: 'high',
    title: 'Mass deletion burst',
    summary: `agent-7 deleted 40 messages in 60s (trigger ${trigger})`,
    evidence_event_ids: [trigger],
    first_seen: at(0),
    last_seen: at(0),
    count: 40,
    auto_contain: false,
    ...rest,
    rule_id,
    tenant,
    principal_id,
    detection_id: detectionId(rule_id, tenant, trigger),
    group_key: groupKey(rule_id, tenant, principal_id),
    trigger_event_id: trigger,
  };
}

/** Both instants in the canonical form the store gives back (UTC, no empty fraction). */
export const timing = (occurredAtMs: number, ingestedAtMs: number): DetectionTiming => ({
  occurred_at: toRfc3339Utc(instantFromDate(new Date(occurredAtMs))),
  ingested_at: toRfc3339Utc(instantFromDate(new Date(ingestedAtMs))),
});

export const WEBHOOK_SECRET = 'whsec-0123456789abcdef';
export const ROUTING_KEY = 'R0UTINGKEY0000000000000000000001';

export function alertingConfig(input: Partial<AlertingConfigInput> = {}): AlertingConfig {
  return alertingConfigSchema.parse({ console_url: CONSOLE_URL, ...input });
}

type OutboxWrite = 'appendDeliveries' | 'saveAlerts' | 'recordDetections';

/** An in-memory outbox whose `write` fails its first `times` calls, as storage does while it is briefly away. */
export function outboxFailingFirst(write: OutboxWrite, times = 1): InMemoryAlertOutbox {
  const outbox = new InMemoryAlertOutbox();
  const original = outbox[write].bind(outbox) as (rows: never[]) => Promise<void>;
  let failures = times;
  outbox[write] = async (rows: never[]) => {
    if (failures-- > 0) throw new Error('storage went away');
    return original(rows);
  };
  return outbox;
}
