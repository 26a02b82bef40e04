import { z } from 'zod';
import type { AccessDiff, AccessItem } from './access-item.js';

/** Who is being contained, as Warden knows them (the `principal.id` of agent actions, within a tenant). */
export const principalRefSchema = z.strictObject({
  tenant: z.string().min(1).max(128),
  id: z.string().min(1).max(256),
});
export type PrincipalRef = z.infer<typeof principalRefSchema>;

/** An item the target refused to change, and why. */
export interface ItemFailure<Item extends AccessItem = AccessItem> {
  readonly item: Item;
  readonly error: { readonly code: string; readonly message: string };
}

/**
 * The outcome of a revoke or restore, read back from the target after the
 * change rather than assumed from the statements sent: `applied` are the
 * items whose change is now true on the target, `failed` those it refused.
 * Failures that are worth retrying (connection lost, timeout) are thrown as
 * retriable ConnectorErrors instead, having changed nothing.
 */
export interface AccessChange<Item extends AccessItem = AccessItem> {
  readonly applied: Item[];
  readonly failed: ItemFailure<Item>[];
  /** Live sessions the revoke ended, on targets that have sessions. */
  readonly sessionsEnded?: number;
}

/**
 * What every connector does for a containment. Every operation may be
 * repeated safely (revoking what is already gone or granting what is already
 * held changes nothing), which is what lets the response process manager
 * resume after a crash by simply doing the pending step again.
 *
 * Items going in come from the ledger, so a connector validates them against
 * its own item schema and refuses foreign ones (InvalidAccessItemError).
 */
export interface Connector<Item extends AccessItem = AccessItem> {
  /** The configured instance, e.g. `postgres-main`; what the ledger records. */
  readonly name: string;
  /** The kind of target, e.g. `postgres`. */
  readonly kind: string;
  /** What the principal holds now, in a stable order. */
  snapshot(principal: PrincipalRef): Promise<Item[]>;
  /** Takes away these items (normally the whole snapshot) and cuts live sessions where the target has them. */
  revoke(principal: PrincipalRef, snapshot: readonly AccessItem[]): Promise<AccessChange<Item>>;
  /** Gives back exactly these items: nothing else is granted. */
  restore(principal: PrincipalRef, snapshot: readonly AccessItem[]): Promise<AccessChange<Item>>;
  /** Compares what the principal holds now with what it should hold. */
  verify(principal: PrincipalRef, expected: readonly AccessItem[]): Promise<AccessDiff<Item>>;
}
