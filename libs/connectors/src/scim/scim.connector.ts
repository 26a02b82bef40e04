import { diffAccess, sortAccessItems, type AccessDiff, type AccessItem } from '../access-item.js';
import { parseAccessItems, readBackOutcome, uniqueAccessItems } from '../access-change.js';
import type { AccessChange, Connector, PrincipalRef } from '../connector.js';
import { ConnectorError } from '../connector.errors.js';
import { resolveIdentity } from '../identity/identity-mapping.js';
import { withRetry, type RetryHooks } from '../resilience/with-retry.js';
import { ScimClient, type ScimUser } from './scim.client.js';
import type { ScimConnectorConfig } from './scim.config.js';
import { scimAccessItemSchema, type ScimAccessItem } from './scim.items.js';

/**
 * Contains an agent's account in a SCIM 2.0 service provider (an identity
 * provider, or an application provisioned by one): snapshot whether the user
 * is active and which groups it is a direct member of; revoke by setting
 * `active: false` and removing it from those groups; restore `active` and
 * exactly those memberships.
 *
 * Each change is one PATCH, sent only where the server's current state
 * differs, so repeating a revoke or restore sends nothing (SCIM's `add` to a
 * multi-valued attribute may otherwise append a duplicate member). Outcomes
 * are read back from the server.
 *
 * Not covered: sessions or tokens the application issued before the user was
 * deactivated (SCIM has no call to end them); memberships through nested
 * groups; entitlements and roles attributes.
 */
export class ScimConnector implements Connector<ScimAccessItem> {
  readonly kind = 'scim';
  readonly name: string;
  private readonly client: ScimClient;

  constructor(
    private readonly config: ScimConnectorConfig,
    private readonly retryHooks: RetryHooks = {},
  ) {
    this.name = config.name;
    this.client = new ScimClient(config);
  }

  /** The SCIM userName a principal maps to. */
  userNameFor(principal: PrincipalRef): string {
    return resolveIdentity(this.config.identity, principal);
  }

  async snapshot(principal: PrincipalRef): Promise<ScimAccessItem[]> {
    const userName = this.userNameFor(principal);
    return this.attempt('snapshot', async (signal, context) => {
      const user = await this.client.findUser(userName, signal, context);
      return this.holdings(user, signal, context);
    });
  }

  async revoke(principal: PrincipalRef, snapshot: readonly AccessItem[]): Promise<AccessChange<ScimAccessItem>> {
    const userName = this.userNameFor(principal);
    // Sign-in first: the account stops working before its memberships are unpicked.
    const items = this.parseItems(snapshot).sort((a, b) => rank(a, 'revoke') - rank(b, 'revoke'));
    return this.attempt('revoke', async (signal, context) => {
      const user = await this.client.findUser(userName, signal, context);
      const memberOf = new Set(await this.client.groupIdsOf(user.id, signal, context));
      const errors = await this.applyEach(items, async (item) => {
        if (item.kind === 'scim.active') {
          if (user.active) await this.client.setActive(user.id, false, signal, context);
        } else if (memberOf.has(item.group_id)) {
          await this.client.removeMember(item.group_id, user.id, signal, context);
        }
      });
      const after = await this.holdings(await this.client.getUser(user.id, signal, context), signal, context);
      return readBackOutcome(items, errors, after, false, 'still held after PATCH');
    });
  }

  async restore(principal: PrincipalRef, snapshot: readonly AccessItem[]): Promise<AccessChange<ScimAccessItem>> {
    const userName = this.userNameFor(principal);
    // Memberships first: the account comes back with its access already in place.
    const items = this.parseItems(snapshot).sort((a, b) => rank(a, 'restore') - rank(b, 'restore'));
    return this.attempt('restore', async (signal, context) => {
      const user = await this.client.findUser(userName, signal, context);
      const memberOf = new Set(await this.client.groupIdsOf(user.id, signal, context));
      const errors = await this.applyEach(items, async (item) => {
        if (item.kind === 'scim.active') {
          if (!user.active) await this.client.setActive(user.id, true, signal, context);
        } else if (!memberOf.has(item.group_id)) {
          await this.client.addMember(item.group_id, user.id, signal, context);
        }
      });
      const after = await this.holdings(await this.client.getUser(user.id, signal, context), signal, context);
      return readBackOutcome(items, errors, after, true, 'not held after PATCH');
    });
  }

  async verify(principal: PrincipalRef, expected: readonly AccessItem[]): Promise<AccessDiff<ScimAccessItem>> {
    const wanted = this.parseItems(expected);
    return diffAccess(wanted, await this.snapshot(principal));
  }

  private parseItems(items: readonly AccessItem[]): ScimAccessItem[] {
    return uniqueAccessItems(parseAccessItems(this.name, scimAccessItemSchema, items));
  }

  private async holdings(user: ScimUser, signal: AbortSignal, context: string): Promise<ScimAccessItem[]> {
    const groups = await this.client.groupIdsOf(user.id, signal, context);
    const items: ScimAccessItem[] = groups.map((group_id) => ({ kind: 'scim.group', group_id }));
    if (user.active) items.push({ kind: 'scim.active' });
    return sortAccessItems(items);
  }

  /**
   * Applies each item's change in turn. A refusal (4xx) is recorded against
   * its item and the rest still apply; anything retriable ends the attempt,
   * and the next attempt starts again from the server's state.
   */
  private async applyEach(items: ScimAccessItem[], change: (item: ScimAccessItem) => Promise<void>): Promise<Map<number, ConnectorError>> {
    const errors = new Map<number, ConnectorError>();
    for (const [index, item] of items.entries()) {
      try {
        await change(item);
      } catch (error) {
        if (!(error instanceof ConnectorError) || error.retriable) throw error;
        errors.set(index, error);
      }
    }
    return errors;
  }

  private attempt<T>(operation: string, work: (signal: AbortSignal, context: string) => Promise<T>): Promise<T> {
    const context = `${this.name}.${operation}`;
    return withRetry(context, (signal) => work(signal, context), this.config.retry, this.retryHooks);
  }
}

function rank(item: ScimAccessItem, operation: 'revoke' | 'restore'): number {
  const activeFirst = operation === 'revoke';
  return (item.kind === 'scim.active') === activeFirst ? 0 : 1;
}
