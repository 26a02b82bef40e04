import { z } from 'zod';
import { accessItemSchema } from '../containment/access-item.js';
import { connectorNameSchema, stepErrorSchema } from '../containment/containment.events.js';
import { commandMetadataSchema } from '../containment/containment.metadata.js';

const id = z.string().min(1).max(256);
const text = z.string().min(1).max(2048);
const itemsSchema = z.array(accessItemSchema);

const command = <T extends string, S extends z.ZodRawShape>(type: T, data: S) =>
  z.strictObject({
    type: z.literal(type),
    data: z.strictObject({ revert_id: id, ...data }),
    metadata: commandMetadataSchema,
  });

/**
 * The stored agent action, as far as reverting it is concerned. Filled by the
 * service from the raw log (null when the event is not stored), so that
 * `decide` stays pure and judges what was recorded, not what a client claims.
 */
export const storedActionSchema = z.strictObject({
  principal: id,
  action_type: z.string().min(1).max(128),
  outcome: z.enum(['success', 'failure', 'denied']),
  resource: z.strictObject({ type: z.string().min(1).max(128), id: z.string().min(1).max(512) }),
  permission_change: z
    .strictObject({
      grantee: z.string().min(1).max(256),
      privileges: z.array(z.string().min(1).max(128)).max(256),
      audience_before: z.int().nonnegative(),
      audience_after: z.int().nonnegative(),
      scope_before: z.string().min(1).max(64).optional(),
      scope_after: z.string().min(1).max(64).optional(),
    })
    .optional(),
});
export type StoredActionFacts = z.infer<typeof storedActionSchema>;

/** Apply the inverse of a recorded `permission.grant` or `permission.revoke`, once per event. */
export const revertPermissionChangeSchema = command('RevertPermissionChange', {
  tenant: id,
  event_id: id,
  reason: text,
  requested_by: id,
  stored: storedActionSchema.nullable(),
  /** Connectors that can revert changes and say they own the event's resource, when handled. */
  owners: z.array(connectorNameSchema),
});

/** Outcomes reported back after the connector was called. */
export const recordPermissionChangeRevertSchema = command('RecordPermissionChangeRevert', {
  connector: connectorNameSchema,
  before: itemsSchema,
  after: itemsSchema,
  changed: itemsSchema,
});
export const recordPermissionChangeRevertFailureSchema = command('RecordPermissionChangeRevertFailure', {
  connector: connectorNameSchema,
  error: stepErrorSchema,
  retriable: z.boolean(),
});

export const permissionChangeRevertCommandSchema = z.discriminatedUnion('type', [
  revertPermissionChangeSchema,
  recordPermissionChangeRevertSchema,
  recordPermissionChangeRevertFailureSchema,
]);
export type PermissionChangeRevertCommand = z.infer<typeof permissionChangeRevertCommandSchema>;
export type PermissionChangeRevertCommandOf<T extends PermissionChangeRevertCommand['type']> = Extract<PermissionChangeRevertCommand, { type: T }>;
