import { z } from 'zod';
import { accessItemSchema } from '../containment/access-item.js';
import { connectorNameSchema, stepErrorSchema } from '../containment/containment.events.js';
import { eventMetadataSchema } from '../containment/containment.metadata.js';

const id = z.string().min(1).max(256);
const text = z.string().min(1).max(2048);
const itemsSchema = z.array(accessItemSchema);

export const revertibleActionSchema = z.enum(['permission.grant', 'permission.revoke']);
export type RevertibleAction = z.infer<typeof revertibleActionSchema>;

/**
 * The change being reverted, as the stored agent action recorded it (the
 * event's `action.type`, `resource` and `permission_change`). Copied into the
 * ledger when the revert is requested, so the record stands on its own even
 * after the event ages out of the raw log.
 */
export const recordedChangeSchema = z.strictObject({
  action: revertibleActionSchema,
  resource: z.strictObject({ type: z.string().min(1).max(128), id: z.string().min(1).max(512) }),
  grantee: z.string().min(1).max(256),
  privileges: z.array(z.string().min(1).max(128)).min(1).max(256),
  audience_before: z.int().nonnegative(),
  audience_after: z.int().nonnegative(),
  scope_before: z.string().min(1).max(64).optional(),
  scope_after: z.string().min(1).max(64).optional(),
});
export type RecordedChange = z.infer<typeof recordedChangeSchema>;

const event = <T extends string, S extends z.ZodRawShape>(type: T, data: S) =>
  z.strictObject({
    type: z.literal(type),
    data: z.strictObject({ revert_id: id, ...data }),
    metadata: eventMetadataSchema,
  });

/**
 * The intent, recorded before the connector is called: who asked, why, which
 * change, its inverse, and the connector that owns the resource (resolved
 * when asked and kept, not re-resolved on replay).
 */
export const permissionChangeRevertRequestedSchema = event('PermissionChangeRevertRequested', {
  tenant: id,
  event_id: id,
  /** Who made the change: the principal of the reverted event. */
  principal: id,
  change: recordedChangeSchema,
  /** What undoes it: revoking what a grant gave, or granting again what a revoke took. */
  inverse: z.enum(['revoke', 'grant']),
  connector: connectorNameSchema,
  reason: text,
  requested_by: id,
});

/** Done: the grantee's entries on the resource before and after, read back from the target, and those that changed. */
export const permissionChangeRevertedSchema = event('PermissionChangeReverted', {
  connector: connectorNameSchema,
  before: itemsSchema,
  after: itemsSchema,
  changed: itemsSchema,
});

/** An attempt failed; `will_retry` is decided when recorded (from `retriable` and the attempt count), never on replay. */
export const permissionChangeRevertFailedSchema = event('PermissionChangeRevertFailed', {
  connector: connectorNameSchema,
  error: stepErrorSchema,
  retriable: z.boolean(),
  attempt: z.int().min(1),
  will_retry: z.boolean(),
});

/** Someone asked again after the revert had failed for good: it is tried afresh. */
export const permissionChangeRevertRetryRequestedSchema = event('PermissionChangeRevertRetryRequested', {
  reason: text,
  requested_by: id,
});

export const permissionChangeRevertEventSchema = z.discriminatedUnion('type', [
  permissionChangeRevertRequestedSchema,
  permissionChangeRevertedSchema,
  permissionChangeRevertFailedSchema,
  permissionChangeRevertRetryRequestedSchema,
]);
export type PermissionChangeRevertEvent = z.infer<typeof permissionChangeRevertEventSchema>;
export type PermissionChangeRevertEventOf<T extends PermissionChangeRevertEvent['type']> = Extract<PermissionChangeRevertEvent, { type: T }>;
