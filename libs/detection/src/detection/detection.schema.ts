import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ruleKindSchema, severitySchema } from '../rules/rule-common.schema.js';

/**
 * What the engine emits, and what alerting consumes. A detection is
 * at-least-once: reprocessing the same event (Kafka redelivery, warm-up
 * overlap) yields the same `detection_id`, so the consumer deduplicates by it.
 */
export const detectionSchema = z.strictObject({
  /** Deterministic: same rule, tenant and triggering event → same id. */
  detection_id: z.string().length(32),
  /** Rule + tenant + principal: detections that belong in one alert. */
  group_key: z.string().min(1),
  rule_id: z.string().min(1),
  rule_kind: ruleKindSchema,
  severity: severitySchema,
  title: z.string().min(1),
  summary: z.string().min(1),
  tenant: z.string().min(1),
  principal_id: z.string().min(1),
  /** The event on which the rule decided. Always among the evidence. */
  trigger_event_id: z.string().min(1),
  /** Ordered by occurred_at; at most MAX_EVIDENCE_IDS, the most recent kept. */
  evidence_event_ids: z.array(z.string().min(1)).min(1),
  first_seen: z.iso.datetime({ offset: true }),
  last_seen: z.iso.datetime({ offset: true }),
  /** How many events the rule counted (may exceed the evidence list). */
  count: z.number().int().positive(),
  auto_contain: z.boolean(),
});
export type Detection = z.infer<typeof detectionSchema>;

/** Evidence lists are capped so that one storm cannot make one huge alert. */
export const MAX_EVIDENCE_IDS = 100;

/**
 * `rule/tenant/principal`, each part URI-encoded so that no id can forge a
 * separator. Stable across releases: alert grouping and dedup state key on it.
 */
export function groupKey(ruleId: string, tenant: string, principalId: string): string {
  return [ruleId, tenant, principalId].map(encodeURIComponent).join('/');
}

export function detectionId(ruleId: string, tenant: string, triggerEventId: string): string {
  return createHash('sha256').update(JSON.stringify([ruleId, tenant, triggerEventId])).digest('hex').slice(0, 32);
}
