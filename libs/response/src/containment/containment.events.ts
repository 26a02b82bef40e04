import { z } from 'zod';
import { accessItemSchema } from './access-item.js';
import { eventMetadataSchema } from './containment.metadata.js';

const id = z.string().min(1).max(256);
const text = z.string().min(1).max(2048);

/** A configured connector instance, e.g. `postgres-main`. */
export const connectorNameSchema = z.string().min(1).max(128);

/** How a step failed, as the connector reported it. */
export const stepErrorSchema = z.strictObject({
  code: z.string().min(1).max(128),
  message: z.string().max(4096),
});
export type StepError = z.infer<typeof stepErrorSchema>;

const itemsSchema = z.array(accessItemSchema);

/** Every event names its containment, so projections can read events from many streams. */
const event = <T extends string, S extends z.ZodRawShape>(type: T, data: S) =>
  z.strictObject({
    type: z.literal(type),
    data: z.strictObject({ containment_id: id, ...data }),
    metadata: eventMetadataSchema,
  });

/**
 * A step that did not succeed. `will_retry` is decided when the failure is
 * recorded (from `retriable` and the attempt count), not recomputed on
 * replay, so changing the retry limit never rewrites history.
 */
const failure = {
  connector: connectorNameSchema,
  error: stepErrorSchema,
  retriable: z.boolean(),
  attempt: z.int().min(1),
  will_retry: z.boolean(),
};

/** The intent, recorded before anything is touched: a crash after this resumes, never forgets. */
export const containmentRequestedSchema = event('ContainmentRequested', {
  tenant: id,
  principal: id,
  reason: text,
  incident_id: id.optional(),
  requested_by: id,
  idempotency_key: id,
  /** Resolved at request time ("all" becomes the names configured then). */
  connectors: z.array(connectorNameSchema).min(1),
});

/** What the principal held on one connector, before anything was revoked there. */
export const accessSnapshottedSchema = event('AccessSnapshotted', { connector: connectorNameSchema, items: itemsSchema });
export const snapshotFailedSchema = event('SnapshotFailed', failure);

/** Items taken away on one connector; always a subset of that connector's snapshot. */
export const accessRevokedSchema = event('AccessRevoked', { connector: connectorNameSchema, items: itemsSchema });
export const revocationFailedSchema = event('RevocationFailed', failure);

/**
 * Every connector has either been revoked or failed for good. Recorded again
 * if an operator retries failed connectors and the containment settles anew.
 */
export const containmentCompletedSchema = event('ContainmentCompleted', {
  status: z.enum(['contained', 'partial', 'failed']),
  contained: z.array(connectorNameSchema),
  failed: z.array(connectorNameSchema),
});

/** An operator asked Warden to try connectors again that had failed for good. */
export const connectorsRetryRequestedSchema = event('ConnectorsRetryRequested', {
  connectors: z.array(connectorNameSchema).min(1),
  reason: text,
  requested_by: id,
});

/** Intent to roll back; `connectors` are those with a snapshot to restore. */
export const rollbackRequestedSchema = event('RollbackRequested', {
  reason: text,
  requested_by: id,
  connectors: z.array(connectorNameSchema).min(1),
});

/** Items given back on one connector; always a subset of that connector's snapshot. */
export const accessRestoredSchema = event('AccessRestored', { connector: connectorNameSchema, items: itemsSchema });
export const restoreFailedSchema = event('RestoreFailed', failure);

export const rollbackCompletedSchema = event('RollbackCompleted', { connectors: z.array(connectorNameSchema) });

export const containmentEventSchema = z.discriminatedUnion('type', [
  containmentRequestedSchema,
  accessSnapshottedSchema,
  snapshotFailedSchema,
  accessRevokedSchema,
  revocationFailedSchema,
  containmentCompletedSchema,
  connectorsRetryRequestedSchema,
  rollbackRequestedSchema,
  accessRestoredSchema,
  restoreFailedSchema,
  rollbackCompletedSchema,
]);

export type ContainmentEvent = z.infer<typeof containmentEventSchema>;
export type ContainmentEventType = ContainmentEvent['type'];
export type ContainmentEventOf<T extends ContainmentEventType> = Extract<ContainmentEvent, { type: T }>;
export const CONTAINMENT_EVENT_TYPES = containmentEventSchema.options.map((o) => o.shape.type.value);
