import kafkajs, { type Admin, type AclEntry, type SASLOptions } from 'kafkajs';
import { accessItemKey, diffAccess, type AccessDiff, type AccessItem } from '../access-item.js';
import { parseAccessItems, readBackOutcome, uniqueAccessItems } from '../access-change.js';
import type { AccessChange, Connector, PrincipalRef } from '../connector.js';
import { ConnectorError, UnmappedPrincipalError } from '../connector.errors.js';
import { resolveIdentity } from '../identity/identity-mapping.js';
import { withRetry, type RetryHooks } from '../resilience/with-retry.js';
import type { KafkaAclConnectorConfig, KafkaAdminSasl } from './kafka-acl.config.js';
import { classifyKafkaError } from './kafka-acl.errors.js';
import { kafkaAccessItemSchema, type KafkaAccessItem } from './kafka-acl.items.js';
import { aclBinding, itemsFromDescribe, kafkaPrincipal, principalAclFilter } from './kafka-acl.protocol.js';

const { Kafka, logLevel } = kafkajs;

/** How often an outcome is read back while a change propagates to the authorizer. */
const PROPAGATION_POLL_MS = 50;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function saslOptions(sasl: KafkaAdminSasl): SASLOptions {
  const { username, password } = sasl;
  switch (sasl.mechanism) {
    case 'plain':
      return { mechanism: 'plain', username, password };
    case 'scram-sha-256':
      return { mechanism: 'scram-sha-256', username, password };
    case 'scram-sha-512':
      return { mechanism: 'scram-sha-512', username, password };
  }
}

/**
 * Contains an agent's Kafka user: snapshot the ALLOW ACLs bound to
 * `User:<identity>` (any resource, pattern, operation and host), delete
 * exactly those bindings, and create exactly them again on restore. Kafka
 * authorizes every request, so open connections of the agent lose their
 * rights with the ACLs; there are no sessions to end.
 *
 * Not covered: DENY bindings (left in place, see kafka-acl.items.ts); ACLs
 * on other principals that also match the agent (`User:*`); super users,
 * whom the authorizer never asks ACLs about; quotas and credentials. Kafka
 * keeps no list of PLAIN users, so an identity that does not exist is read
 * as one that holds nothing.
 */
export class KafkaAclConnector implements Connector<KafkaAccessItem> {
  readonly kind = 'kafka-acl';
  readonly name: string;
  private readonly kafka: InstanceType<typeof Kafka>;

  constructor(
    private readonly config: KafkaAclConnectorConfig,
    private readonly retryHooks: RetryHooks = {},
  ) {
    this.name = config.name;
    this.kafka = new Kafka({
      clientId: config.client_id,
      brokers: config.brokers,
      ssl: config.ssl,
      sasl: config.sasl === undefined ? undefined : saslOptions(config.sasl),
      connectionTimeout: config.connection_timeout_ms,
      requestTimeout: config.request_timeout_ms,
      // Retries are withRetry's job, bounded by the connector's policy.
      retry: { retries: 0 },
      logLevel: logLevel.NOTHING,
    });
  }

  /** The Kafka principal a Warden principal maps to. */
  principalFor(principal: PrincipalRef): string {
    const identity = resolveIdentity(this.config.identity, principal);
    if (identity === '*') throw new UnmappedPrincipalError(principal.id, '"User:*" is every user, not one principal');
    if ([...identity].some((ch) => ch.charCodeAt(0) < 0x20)) throw new UnmappedPrincipalError(principal.id, 'identity contains control characters');
    // Containing Warden's own admin would take away the rights Warden needs to restore anything.
    const admin = this.config.sasl?.username ?? 'ANONYMOUS';
    if (identity === admin) throw new UnmappedPrincipalError(principal.id, `"User:${identity}" is the connector's own admin`);
    return kafkaPrincipal(identity);
  }

  async snapshot(principal: PrincipalRef): Promise<KafkaAccessItem[]> {
    const kafkaUser = this.principalFor(principal);
    return this.attempt('snapshot', (admin) => this.read(admin, kafkaUser));
  }

  async revoke(principal: PrincipalRef, snapshot: readonly AccessItem[]): Promise<AccessChange<KafkaAccessItem>> {
    const kafkaUser = this.principalFor(principal);
    const items = this.parseItems(snapshot);
    return this.attempt('revoke', async (admin, signal) => {
      const errors = await this.applyEach(items, kafkaUser, 'revoke', async (bindings) => {
        await admin.deleteAcls({ filters: bindings });
      });
      const after = await this.readUntilSettled(admin, kafkaUser, items, errors, false, signal);
      return readBackOutcome(items, errors, after, false, 'still bound after DeleteAcls');
    });
  }

  async restore(principal: PrincipalRef, snapshot: readonly AccessItem[]): Promise<AccessChange<KafkaAccessItem>> {
    const kafkaUser = this.principalFor(principal);
    const items = this.parseItems(snapshot);
    return this.attempt('restore', async (admin, signal) => {
      const errors = await this.applyEach(items, kafkaUser, 'restore', async (bindings) => {
        await admin.createAcls({ acl: bindings });
      });
      const after = await this.readUntilSettled(admin, kafkaUser, items, errors, true, signal);
      return readBackOutcome(items, errors, after, true, 'not bound after CreateAcls');
    });
  }

  async verify(principal: PrincipalRef, expected: readonly AccessItem[]): Promise<AccessDiff<KafkaAccessItem>> {
    const wanted = this.parseItems(expected);
    return diffAccess(wanted, await this.snapshot(principal));
  }

  private parseItems(items: readonly AccessItem[]): KafkaAccessItem[] {
    return uniqueAccessItems(parseAccessItems(this.name, kafkaAccessItemSchema, items));
  }

  private async read(admin: Admin, kafkaUser: string): Promise<KafkaAccessItem[]> {
    const { resources } = await admin.describeAcls(principalAclFilter(kafkaUser));
    return itemsFromDescribe(resources, kafkaUser);
  }

  /**
   * Sends all bindings in one request. Kafka answers per binding, but kafkajs
   * throws on the first refusal, so when the request is refused the bindings
   * are sent again one at a time (creating an existing ACL and deleting a
   * missing one change nothing) to attribute each refusal to its item while
   * the rest still apply. Retriable errors abort the attempt for withRetry.
   */
  private async applyEach(
    items: KafkaAccessItem[],
    kafkaUser: string,
    operation: string,
    send: (bindings: AclEntry[]) => Promise<void>,
  ): Promise<Map<number, ConnectorError>> {
    const errors = new Map<number, ConnectorError>();
    if (items.length === 0) return errors;
    try {
      await send(items.map((item) => aclBinding(item, kafkaUser)));
      return errors;
    } catch (error) {
      refusalOrThrow(classifyKafkaError(error, `${this.name}.${operation}: batch`));
    }
    for (const [index, item] of items.entries()) {
      try {
        await send([aclBinding(item, kafkaUser)]);
      } catch (error) {
        errors.set(index, refusalOrThrow(classifyKafkaError(error, `${this.name}.${operation}: ${accessItemKey(item)}`)));
      }
    }
    return errors;
  }

  /** Reads the principal's ACLs until every change sent without error shows, or propagation_timeout_ms is up. */
  private async readUntilSettled(
    admin: Admin,
    kafkaUser: string,
    items: KafkaAccessItem[],
    errors: ReadonlyMap<number, ConnectorError>,
    shouldBeHeld: boolean,
    signal: AbortSignal,
  ): Promise<KafkaAccessItem[]> {
    const pending = items.filter((_, index) => !errors.has(index)).map(accessItemKey);
    const deadline = Date.now() + this.config.propagation_timeout_ms;
    for (;;) {
      const after = await this.read(admin, kafkaUser);
      const held = new Set(after.map(accessItemKey));
      const settled = pending.every((key) => held.has(key) === shouldBeHeld);
      if (settled || Date.now() >= deadline || signal.aborted) return after;
      await sleep(PROPAGATION_POLL_MS);
    }
  }

  private attempt<T>(operation: string, work: (admin: Admin, signal: AbortSignal) => Promise<T>): Promise<T> {
    return withRetry(
      `${this.name}.${operation}`,
      (signal) => this.withAdmin(signal, operation, work),
      this.config.retry,
      this.retryHooks,
    );
  }

  /**
   * One admin connection for one attempt, closed when the attempt ends or
   * times out (a request in flight then fails, and nothing more is sent).
   */
  private async withAdmin<T>(
    signal: AbortSignal,
    operation: string,
    work: (admin: Admin, signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const admin = this.kafka.admin({ retry: { retries: 0 } });
    let closing: Promise<void> | undefined;
    const close = () => (closing ??= admin.disconnect().catch(() => undefined));
    const onAbort = () => void close();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await admin.connect();
      if (signal.aborted) throw signal.reason;
      return await work(admin, signal);
    } catch (error) {
      throw classifyKafkaError(error, `${this.name}.${operation}`);
    } finally {
      signal.removeEventListener('abort', onAbort);
      await close();
    }
  }
}

/** A refusal to record against its item; anything else (retriable, or untyped) ends the attempt. */
function refusalOrThrow(typed: unknown): ConnectorError {
  if (typed instanceof ConnectorError && !typed.retriable) return typed;
  throw typed;
}
