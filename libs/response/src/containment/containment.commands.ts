import { z } from 'zod';
import { accessItemSchema } from './access-item.js';
import { connectorNameSchema, stepErrorSchema } from './containment.events.js';
import { commandMetadataSchema } from './containment.metadata.js';

const id = z.string().min(1).max(256);
const text = z.string().min(1).max(2048);
const itemsSchema = z.array(accessItemSchema);

const command = <T extends string, S extends z.ZodRawShape>(type: T, data: S) =>
  z.strictObject({
    type: z.literal(type),
    data: z.strictObject({ containment_id: id, ...data }),
    metadata: commandMetadataSchema,
  });

/** "all", or the names of the connectors to act on. */
export const connectorSelectionSchema = z.union([z.literal('all'), z.array(connectorNameSchema).min(1)]);
export type ConnectorSelection = z.infer<typeof connectorSelectionSchema>;

/**
 * Contain one principal. `containment_id` names the stream; the handler
 * derives it from tenant and idempotency key (`containmentIdFor`) so that a
 * repeated request lands on the same stream and is recognised.
 */
export const containPrincipalSchema = command('ContainPrincipal', {
  tenant: id,
  principal: id,
  reason: text,
  incident_id: id.optional(),
  requested_by: id,
  idempotency_key: id,
  connectors: connectorSelectionSchema.default('all'),
  /**
   * Connectors configured for the tenant when the command is handled. The
   * handler fills it from the registry so that `decide` stays pure and the
   * resolved list is recorded in the ledger, not re-resolved on replay.
   */
  configured_connectors: z.array(connectorNameSchema),
});

/** Outcomes reported back by the process manager after it called a connector. */
const outcome = { connector: connectorNameSchema, items: itemsSchema };
const failureOutcome = { connector: connectorNameSchema, error: stepErrorSchema, retriable: z.boolean() };

export const recordSnapshotSchema = command('RecordSnapshot', outcome);
export const recordSnapshotFailureSchema = command('RecordSnapshotFailure', failureOutcome);
export const recordRevocationSchema = command('RecordRevocation', outcome);
export const recordRevocationFailureSchema = command('RecordRevocationFailure', failureOutcome);

export const retryConnectorsSchema = command('RetryConnectors', {
  connectors: connectorSelectionSchema.default('all'),
  reason: text,
  requested_by: id,
});

export const rollbackContainmentSchema = command('RollbackContainment', { reason: text, requested_by: id });
export const recordRestoreSchema = command('RecordRestore', outcome);
export const recordRestoreFailureSchema = command('RecordRestoreFailure', failureOutcome);

export const containmentCommandSchema = z.discriminatedUnion('type', [
  containPrincipalSchema,
  recordSnapshotSchema,
  recordSnapshotFailureSchema,
  recordRevocationSchema,
  recordRevocationFailureSchema,
  retryConnectorsSchema,
  rollbackContainmentSchema,
  recordRestoreSchema,
  recordRestoreFailureSchema,
]);

export type ContainmentCommand = z.infer<typeof containmentCommandSchema>;
export type ContainmentCommandType = ContainmentCommand['type'];
export type ContainmentCommandOf<T extends ContainmentCommandType> = Extract<ContainmentCommand, { type: T }>;
