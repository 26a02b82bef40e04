import { randomUUID } from 'node:crypto';
import { diffAccess, sortAccessItems, type AccessDiff, type AccessItem } from '../access-item.js';
import { parseAccessItems, readBackOutcome, uniqueAccessItems } from '../access-change.js';
import type { AccessChange, Connector, PrincipalRef } from '../connector.js';
import { ConnectorRejectedError } from '../connector.errors.js';
import { httpStatusError, sendHttp } from '../http/http-request.js';
import { resolveIdentity } from '../identity/identity-mapping.js';
import { withRetry, type RetryHooks } from '../resilience/with-retry.js';
import type { WebhookConnectorConfig } from './webhook.config.js';
import { webhookAccessItemSchema, webhookSnapshotAnswerSchema, type WebhookAccessItem } from './webhook.items.js';
import { WEBHOOK_HEADERS, signWebhook } from './webhook.signature.js';

export type WebhookOperation = 'snapshot' | 'revoke' | 'restore';

/** The JSON body of every webhook: the same for every attempt of one operation. */
export interface WebhookPayload {
  /** Unique per operation and repeated on its retries (also in the Idempotency-Key header). */
  readonly id: string;
  readonly type: `containment.${WebhookOperation}`;
  /** The connector instance that sent it. */
  readonly connector: string;
  readonly principal: PrincipalRef;
  /** The principal as the receiver knows it (the identity mapping's result). */
  readonly identity: string;
  /** What to revoke or restore; absent on snapshot requests. */
  readonly items?: readonly WebhookAccessItem[];
}

export interface WebhookConnectorOptions extends RetryHooks {
  /** Signing time; replaced in tests. */
  now?: () => Date;
  /** Idempotency ids; replaced in tests. */
  newId?: () => string;
}

/** How much of a refusing receiver's answer is kept in the error. */
const MAX_DETAIL_CHARS = 300;

/**
 * Contains a principal in a system Warden has no connector for, by asking
 * the customer's own endpoint to do it: signed POSTs to the revoke and
 * restore URLs carry the items, and a 2xx answer means the receiver has put
 * the change in force. With a snapshot URL, the receiver also says what the
 * principal holds, and outcomes are read back from it; without one, the
 * principal's access is one item, taken away and given back as a whole.
 *
 * 5xx, 408, 429 and network failures are retried (same idempotency id, fresh
 * signature); any other answer is a refusal and is not.
 */
export class WebhookConnector implements Connector<WebhookAccessItem> {
  readonly kind = 'webhook';
  readonly name: string;
  private readonly now: () => Date;
  private readonly newId: () => string;

  constructor(
    private readonly config: WebhookConnectorConfig,
    private readonly options: WebhookConnectorOptions = {},
  ) {
    this.name = config.name;
    this.now = options.now ?? (() => new Date());
    this.newId = options.newId ?? randomUUID;
  }

  identityFor(principal: PrincipalRef): string {
    return resolveIdentity(this.config.identity, principal);
  }

  async snapshot(principal: PrincipalRef): Promise<WebhookAccessItem[]> {
    const identity = this.identityFor(principal);
    const url = this.config.urls.snapshot;
    if (url === undefined) return [{ kind: 'webhook.access', principal: identity }];
    const answer = await this.deliver('snapshot', url, this.payload('snapshot', principal, identity));
    const parsed = webhookSnapshotAnswerSchema.safeParse(answer);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
      throw new ConnectorRejectedError(`${this.name}.snapshot: the receiver's answer is not a list of webhook items: ${issues.join('; ')}`, {
        issues,
      });
    }
    return sortAccessItems(uniqueAccessItems(parsed.data));
  }

  async revoke(principal: PrincipalRef, snapshot: readonly AccessItem[]): Promise<AccessChange<WebhookAccessItem>> {
    return this.change('revoke', principal, snapshot);
  }

  async restore(principal: PrincipalRef, snapshot: readonly AccessItem[]): Promise<AccessChange<WebhookAccessItem>> {
    return this.change('restore', principal, snapshot);
  }

  async verify(principal: PrincipalRef, expected: readonly AccessItem[]): Promise<AccessDiff<WebhookAccessItem>> {
    const wanted = this.parseItems(expected);
    return diffAccess(wanted, await this.snapshot(principal));
  }

  private async change(
    operation: 'revoke' | 'restore',
    principal: PrincipalRef,
    snapshot: readonly AccessItem[],
  ): Promise<AccessChange<WebhookAccessItem>> {
    const identity = this.identityFor(principal);
    const items = this.parseItems(snapshot);
    await this.deliver(operation, this.config.urls[operation], this.payload(operation, principal, identity, items));
    if (this.config.urls.snapshot === undefined) return { applied: sortAccessItems(items), failed: [] };
    const after = await this.snapshot(principal);
    const shouldBeHeld = operation === 'restore';
    return readBackOutcome(items, new Map(), after, shouldBeHeld, `${shouldBeHeld ? 'not' : 'still'} reported by the receiver after ${operation}`);
  }

  private parseItems(items: readonly AccessItem[]): WebhookAccessItem[] {
    return uniqueAccessItems(parseAccessItems(this.name, webhookAccessItemSchema, items));
  }

  private payload(
    operation: WebhookOperation,
    principal: PrincipalRef,
    identity: string,
    items?: WebhookAccessItem[],
  ): WebhookPayload {
    return {
      id: this.newId(),
      type: `containment.${operation}`,
      connector: this.name,
      principal: { tenant: principal.tenant, id: principal.id },
      identity,
      ...(items === undefined ? {} : { items }),
    };
  }

  /** POSTs the payload, signed afresh for each attempt; the receiver's JSON answer (undefined if empty) on 2xx. */
  private async deliver(operation: WebhookOperation, url: string, payload: WebhookPayload): Promise<unknown> {
    const context = `${this.name}.${operation}`;
    const body = JSON.stringify(payload);
    return withRetry(
      context,
      async (signal) => {
        const timestamp = Math.floor(this.now().getTime() / 1000);
        const response = await sendHttp({
          method: 'POST',
          url: new URL(url),
          headers: {
            'content-type': 'application/json',
            'user-agent': 'warden-connector',
            [WEBHOOK_HEADERS.timestamp]: String(timestamp),
            [WEBHOOK_HEADERS.signature]: signWebhook(this.config.secret, timestamp, body),
            [WEBHOOK_HEADERS.idempotencyKey]: payload.id,
          },
          body,
          timeoutMs: this.config.request_timeout_ms,
          signal,
          context,
        });
        if (response.status < 200 || response.status > 299) {
          throw httpStatusError(response.status, context, response.text.slice(0, MAX_DETAIL_CHARS).trim() || undefined, {
            idempotency_key: payload.id,
          });
        }
        if (response.text.trim() === '') return undefined;
        try {
          return JSON.parse(response.text) as unknown;
        } catch {
          // A revoke or restore needs no answer; a snapshot's is checked by the caller.
          if (operation !== 'snapshot') return undefined;
          throw new ConnectorRejectedError(`${context}: the receiver's answer is not JSON`, { status: response.status });
        }
      },
      this.config.retry,
      this.options,
    );
  }
}
