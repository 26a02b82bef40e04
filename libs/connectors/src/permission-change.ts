import { z } from 'zod';
import type { AccessItem } from './access-item.js';
import type { Connector } from './connector.js';

/** A resource as agent actions name it: their `resource.type` and `resource.id`. */
export interface ResourceRef {
  readonly type: string;
  readonly id: string;
}

/**
 * The resources a connector manages, by the `resource.type` agent actions
 * give them (e.g. `[{ type: 'postgres.table' }]`). Only these can have a
 * recorded permission change reverted through it. Empty by default: undoing
 * someone's grant is a capability to switch on, not a side effect of
 * configuring a connector for containment.
 */
export const ownedResourcesSchema = z
  .array(z.strictObject({ type: z.string().min(1).max(128) }))
  .default([])
  .refine((list) => new Set(list.map((r) => r.type)).size === list.length, 'a resource type is listed twice');
export type OwnedResources = z.output<typeof ownedResourcesSchema>;

/** One recorded change of who may use a resource: who was given (or lost) which privileges on it. */
export interface GrantChange {
  readonly resource: ResourceRef;
  /** As the event names it, e.g. `PUBLIC`, `all_staff`, `role:all_staff`. */
  readonly grantee: string;
  readonly privileges: readonly string[];
}

/**
 * What undoing a change did, read back from the target inside the same
 * transaction: the grantee's entries on the resource before and after, and
 * the entries that went (reverting a grant) or came (reverting a revoke).
 */
export interface GrantChangeOutcome<Item extends AccessItem = AccessItem> {
  readonly before: Item[];
  readonly after: Item[];
  readonly changed: Item[];
}

/**
 * A connector that can apply the inverse of a recorded permission change on
 * the resources it owns. Both operations are all-or-nothing and safe to
 * repeat: reverting a grant that is already gone, or re-granting what is
 * held, changes nothing and reports nothing changed. A refusal (unknown
 * resource or grantee, a privilege the target does not have, dependent
 * grants that would need CASCADE) is a non-retriable ConnectorError; a
 * target that is unreachable or busy, a retriable one.
 */
export interface PermissionChangeReverter {
  /** Whether this connector manages the resource (a type it was configured for, an id it can address). */
  owns(resource: ResourceRef): boolean;
  /** The inverse of a `permission.grant`: the grantee no longer holds these privileges on the resource. */
  revertGrant(change: GrantChange): Promise<GrantChangeOutcome>;
  /** The inverse of a `permission.revoke`: the grantee holds these privileges on the resource again. */
  regrant(change: GrantChange): Promise<GrantChangeOutcome>;
}

export function canRevertPermissionChanges(connector: Connector): connector is Connector & PermissionChangeReverter {
  const c = connector as Partial<PermissionChangeReverter>;
  return typeof c.owns === 'function' && typeof c.revertGrant === 'function' && typeof c.regrant === 'function';
}
