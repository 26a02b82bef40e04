import { randomUUID } from 'node:crypto';
import {
  KAFKA_TEST_USERS,
  createTopic,
  ensureKafkaBroker,
  plainSasl,
  type KafkaTestUser,
} from '@warden/testing';
import kafkajs, { type Admin, type AclEntry, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sortAccessItems } from '../access-item.js';
import { kafkaAclConnectorConfigSchema } from './kafka-acl.config.js';
import { KafkaAclConnector } from './kafka-acl.connector.js';
import type { KafkaAcl } from './kafka-acl.items.js';

const { Kafka, logLevel, AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;

/**
 * Against the real local broker (StandardAuthorizer, deny by default). The
 * admin side uses the PLAINTEXT listener (super user ANONYMOUS); the agent
 * produces over SASL/PLAIN as agent-gamma, which no other spec uses. Other
 * specs share the broker, so every resource here is named under a random
 * prefix, and only bindings on those resources (or of this run's made-up
 * bulk principal) are ever deleted.
 */
const PREFIX = 'warden-kafka-acl-spec';
const run = `${PREFIX}-${randomUUID().slice(0, 8)}`;
const names = {
  topic: `${run}-orders`,
  guardedTopic: `${run}-guarded`,
  groupPrefix: `${run}-grp-`,
  eventsPrefix: `${run}-events-`,
  transactionalId: `${run}-tx`,
  bulkPrefix: `${run}-bulk-`,
};
const AGENT: KafkaTestUser = KAFKA_TEST_USERS.agentGamma;
const agentPrincipal = { tenant: 'acme', id: 'gamma-bot' };
const bulkPrincipal = { tenant: 'acme', id: `bulk-${run}` };
const bulkUser = `User:warden-${bulkPrincipal.id}`;

let brokers: string[];
let saslBrokers: string[];
let admin: Admin;
let connector: KafkaAclConnector;

const connectorConfig = (overrides: Record<string, unknown> = {}) =>
  kafkaAclConnectorConfigSchema.parse({
    kind: 'kafka-acl',
    name: 'kafka-test',
    brokers,
    identity: { map: { 'gamma-bot': AGENT.username }, template: 'warden-{principal}' },
    retry: { max_attempts: 3, initial_delay_ms: 50, timeout_ms: 30_000 },
    ...overrides,
  });

const acl = (fields: Omit<KafkaAcl, 'kind' | 'permission_type' | 'host'> & { host?: string }): KafkaAcl => ({
  kind: 'kafka.acl',
  permission_type: 'ALLOW',
  host: '*',
  ...fields,
});

/** The bindings the broker holds for a principal on this run's resources, read without the connector. */
async function bindingsOf(principal: string): Promise<string[]> {
  const { resources } = await admin.describeAcls({
    resourceType: AclResourceTypes.ANY,
    resourcePatternType: ResourcePatternTypes.ANY,
    principal,
    operation: AclOperationTypes.ANY,
    permissionType: AclPermissionTypes.ANY,
  });
  return resources
    .filter((r) => r.resourceName.startsWith(run))
    .flatMap((r) => r.acls.map((a) => `${r.resourceType}:${r.resourcePatternType}:${r.resourceName}:${a.operation}:${a.permissionType}:${a.host}`))
    .sort();
}

/** Deletes every binding on this run's resources (and of the bulk principal). */
async function deleteRunBindings(): Promise<void> {
  const { resources } = await admin.describeAcls({
    resourceType: AclResourceTypes.ANY,
    resourcePatternType: ResourcePatternTypes.ANY,
    operation: AclOperationTypes.ANY,
    permissionType: AclPermissionTypes.ANY,
  });
  const filters: AclEntry[] = resources
    .filter((r) => r.resourceName.startsWith(run))
    .flatMap((r) => r.acls.map((a) => ({ ...a, resourceType: r.resourceType, resourceName: r.resourceName, resourcePatternType: r.resourcePatternType })));
  if (filters.length > 0) await admin.deleteAcls({ filters });
}

async function until<T>(what: string, probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function saslProducer(user: KafkaTestUser): Promise<Producer> {
  const producer = new Kafka({
    clientId: `kafka-acl-spec-${user.username}`,
    brokers: saslBrokers,
    sasl: plainSasl(user),
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  }).producer();
  await producer.connect();
  return producer;
}

/** 'OK', or the Kafka error type (e.g. TOPIC_AUTHORIZATION_FAILED) the produce failed with. */
async function produceOutcome(producer: Producer, topic: string, value: string): Promise<string> {
  try {
    await producer.send({ topic, acks: -1, messages: [{ key: 'k', value }] });
    return 'OK';
  } catch (error) {
    for (let e: unknown = error; e instanceof Error; e = (e as { cause?: unknown }).cause) {
      const type = (e as { type?: unknown }).type;
      if (typeof type === 'string' && type !== 'UNKNOWN') return type;
    }
    return `untyped error: ${String(error)}`;
  }
}

async function recordsIn(topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((n, p) => n + Number(p.high), 0);
}

beforeAll(async () => {
  // The first run on a machine downloads the broker's jars: give it time.
  ({ brokers, saslBrokers } = await ensureKafkaBroker());
  admin = new Kafka({ clientId: 'kafka-acl-spec-admin', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  connector = new KafkaAclConnector(connectorConfig());
  await createTopic(brokers, names.topic, 1);
  await createTopic(brokers, names.guardedTopic, 1);
}, 15 * 60_000);

afterAll(async () => {
  if (!admin) return;
  await deleteRunBindings();
  await admin.deleteTopics({ topics: [names.topic, names.guardedTopic] }).catch(() => undefined);
  await admin.disconnect();
});

describe('KafkaAclConnector', () => {
  const agentAcls = (): KafkaAcl[] =>
    sortAccessItems([
      acl({ resource_type: 'TOPIC', resource_name: names.topic, pattern_type: 'LITERAL', operation: 'WRITE' }),
      acl({ resource_type: 'TOPIC', resource_name: names.topic, pattern_type: 'LITERAL', operation: 'DESCRIBE' }),
      acl({ resource_type: 'GROUP', resource_name: names.groupPrefix, pattern_type: 'PREFIXED', operation: 'READ' }),
      acl({ resource_type: 'TOPIC', resource_name: names.eventsPrefix, pattern_type: 'PREFIXED', operation: 'READ', host: '127.0.0.1' }),
      acl({ resource_type: 'TRANSACTIONAL_ID', resource_name: names.transactionalId, pattern_type: 'LITERAL', operation: 'WRITE' }),
    ]);

  it('snapshots, revokes and restores the ACLs of User:agent-gamma exactly, and the broker enforces each step', async () => {
    expect(saslBrokers, 'set WARDEN_TEST_KAFKA_SASL_BROKERS to the SASL/PLAIN listener of WARDEN_KAFKA_BROKERS').not.toHaveLength(0);
    const granted = agentAcls();
    await admin.createAcls({ acl: granted.map((item) => toEntry(item, `User:${AGENT.username}`)) });
    await until('the grants to show', () => bindingsOf(`User:${AGENT.username}`), (b) => b.length === 5);

    const producer = await saslProducer(AGENT);
    try {
      expect(await produceOutcome(producer, names.topic, 'granted')).toBe('OK');

      // ── snapshot ──
      const before = await connector.snapshot(agentPrincipal);
      expect(before).toEqual(granted);

      // ── revoke: gone on the broker, and enforced on the agent's open connection ──
      const revoked = await connector.revoke(agentPrincipal, before);
      expect(revoked).toEqual({ applied: before, failed: [] });
      expect(await bindingsOf(`User:${AGENT.username}`)).toEqual([]);
      expect(await connector.snapshot(agentPrincipal)).toEqual([]);
      expect(await connector.verify(agentPrincipal, [])).toEqual({ matches: true, missing: [], unexpected: [] });
      expect(await produceOutcome(producer, names.topic, 'contained')).toBe('TOPIC_AUTHORIZATION_FAILED');

      // ── restore: exactly the snapshot, item by item ──
      const restored = await connector.restore(agentPrincipal, before);
      expect(restored).toEqual({ applied: before, failed: [] });
      const after = await connector.snapshot(agentPrincipal);
      expect(after).toEqual(before);
      expect(after.map((item, i) => [item, before[i]])).toEqual(before.map((item) => [item, item]));
      expect(await connector.verify(agentPrincipal, before)).toEqual({ matches: true, missing: [], unexpected: [] });
      expect(await produceOutcome(producer, names.topic, 'restored')).toBe('OK');
      expect(await recordsIn(names.topic)).toBe(2);
    } finally {
      await producer.disconnect();
    }
  });

  it('repeats a revoke or a restore without changing anything', async () => {
    const before = await connector.snapshot(agentPrincipal);
    expect(before).toEqual(agentAcls());
    await connector.revoke(agentPrincipal, before);
    expect(await connector.revoke(agentPrincipal, before)).toEqual({ applied: before, failed: [] });
    expect(await bindingsOf(`User:${AGENT.username}`)).toEqual([]);
    await connector.restore(agentPrincipal, before);
    expect(await connector.restore(agentPrincipal, before)).toEqual({ applied: before, failed: [] });
    // CreateAcls of an existing binding adds no duplicate.
    expect(await bindingsOf(`User:${AGENT.username}`)).toHaveLength(5);
    expect(await connector.snapshot(agentPrincipal)).toEqual(before);
  });

  it('restores only the snapshot: a binding granted during the containment is left as found, not taken', async () => {
    const before = await connector.snapshot(agentPrincipal);
    await connector.revoke(agentPrincipal, before);
    const extra = acl({ resource_type: 'TOPIC', resource_name: names.guardedTopic, pattern_type: 'LITERAL', operation: 'DESCRIBE' });
    const partial = before.slice(0, 2);
    expect(await connector.restore(agentPrincipal, partial)).toEqual({ applied: partial, failed: [] });
    expect(await connector.verify(agentPrincipal, before)).toEqual({ matches: false, missing: before.slice(2), unexpected: [] });
    await admin.createAcls({ acl: [toEntry(extra, `User:${AGENT.username}`)] });
    await until('the extra grant to show', () => connector.snapshot(agentPrincipal), (items) => items.length === 3);
    expect(await connector.verify(agentPrincipal, partial)).toEqual({ matches: false, missing: [], unexpected: [extra] });
    await admin.deleteAcls({ filters: [toEntry(extra, `User:${AGENT.username}`)] });
    expect(await connector.restore(agentPrincipal, before)).toEqual({ applied: before, failed: [] });
  });

  it('never deletes a DENY binding: containment does not widen access granted to User:*', async () => {
    const everyoneWrites = toEntry(
      acl({ resource_type: 'TOPIC', resource_name: names.guardedTopic, pattern_type: 'LITERAL', operation: 'WRITE' }),
      'User:*',
    );
    const agentDenied: AclEntry = { ...everyoneWrites, principal: `User:${AGENT.username}`, permissionType: AclPermissionTypes.DENY };
    await admin.createAcls({ acl: [everyoneWrites, agentDenied] });
    const denyBinding = `${AclResourceTypes.TOPIC}:${ResourcePatternTypes.LITERAL}:${names.guardedTopic}:${AclOperationTypes.WRITE}:${AclPermissionTypes.DENY}:*`;
    await until('the DENY to show', () => bindingsOf(`User:${AGENT.username}`), (b) => b.includes(denyBinding));

    const agent = await saslProducer(AGENT);
    const bystander = await saslProducer(KAFKA_TEST_USERS.agentBeta);
    try {
      expect(await produceOutcome(bystander, names.guardedTopic, 'wildcard works')).toBe('OK');
      expect(await produceOutcome(agent, names.guardedTopic, 'denied')).toBe('TOPIC_AUTHORIZATION_FAILED');

      const before = await connector.snapshot(agentPrincipal);
      expect(before).toEqual(agentAcls()); // the DENY is not a holding
      expect(await connector.revoke(agentPrincipal, before)).toEqual({ applied: before, failed: [] });
      expect(await bindingsOf(`User:${AGENT.username}`)).toEqual([denyBinding]);
      expect(await produceOutcome(agent, names.guardedTopic, 'still denied while contained')).toBe('TOPIC_AUTHORIZATION_FAILED');

      expect(await connector.restore(agentPrincipal, before)).toEqual({ applied: before, failed: [] });
      expect(await produceOutcome(agent, names.guardedTopic, 'still denied after rollback')).toBe('TOPIC_AUTHORIZATION_FAILED');
      expect(await recordsIn(names.guardedTopic)).toBe(1);
    } finally {
      await agent.disconnect();
      await bystander.disconnect();
      await admin.deleteAcls({ filters: [everyoneWrites, agentDenied] });
    }
  });

  it('refuses items of another connector, the wildcard user, and its own admin', async () => {
    await expect(connector.restore(agentPrincipal, [{ kind: 'pg.login' }])).rejects.toMatchObject({ code: 'CONNECTOR.INVALID_ITEM' });
    const wildcard = new KafkaAclConnector(connectorConfig({ identity: { map: { everyone: '*' } } }));
    await expect(wildcard.snapshot({ tenant: 'acme', id: 'everyone' })).rejects.toMatchObject({ code: 'CONNECTOR.UNMAPPED_PRINCIPAL' });
    const self = new KafkaAclConnector(connectorConfig({ identity: { map: { warden: 'ANONYMOUS' } } }));
    await expect(self.revoke({ tenant: 'acme', id: 'warden' }, [])).rejects.toMatchObject({ code: 'CONNECTOR.UNMAPPED_PRINCIPAL' });
  });

  it('reports an unreachable cluster as retriable, after the configured attempts', async () => {
    const retries: string[] = [];
    const unreachable = new KafkaAclConnector(
      connectorConfig({ brokers: ['127.0.0.1:1'], retry: { max_attempts: 2, initial_delay_ms: 10, timeout_ms: 5_000 } }),
      { onRetry: ({ error }) => void retries.push(error.code) },
    );
    await expect(unreachable.snapshot(agentPrincipal)).rejects.toMatchObject({ code: 'CONNECTOR.UNAVAILABLE', retriable: true });
    expect(retries).toEqual(['CONNECTOR.UNAVAILABLE']);
  });

  it('round-trips a principal with 50 ACLs', async () => {
    const operations = ['READ', 'WRITE', 'DESCRIBE', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS'] as const;
    const granted = sortAccessItems(
      Array.from({ length: 10 }, (_, t) =>
        operations.map((operation) =>
          acl({ resource_type: 'TOPIC', resource_name: `${names.bulkPrefix}${String(t).padStart(2, '0')}`, pattern_type: 'LITERAL', operation }),
        ),
      ).flat(),
    );
    expect(granted).toHaveLength(50);
    await admin.createAcls({ acl: granted.map((item) => toEntry(item, bulkUser)) });
    await until('the 50 grants to show', () => bindingsOf(bulkUser), (b) => b.length === 50);

    const timed = async <T>(label: string, work: () => Promise<T>): Promise<T> => {
      const started = performance.now();
      const result = await work();
      console.log(`kafka-acl connector, 50 ACLs: ${label} took ${(performance.now() - started).toFixed(1)} ms`);
      return result;
    };
    const before = await timed('snapshot', () => connector.snapshot(bulkPrincipal));
    expect(before).toEqual(granted);
    expect(await timed('revoke', () => connector.revoke(bulkPrincipal, before))).toEqual({ applied: before, failed: [] });
    expect(await bindingsOf(bulkUser)).toEqual([]);
    expect(await timed('restore', () => connector.restore(bulkPrincipal, before))).toEqual({ applied: before, failed: [] });
    expect(await connector.snapshot(bulkPrincipal)).toEqual(before);
  });
});

function toEntry(item: KafkaAcl, principal: string): AclEntry {
  return {
    resourceType: AclResourceTypes[item.resource_type],
    resourceName: item.resource_name,
    resourcePatternType: ResourcePatternTypes[item.pattern_type],
    principal,
    host: item.host,
    operation: AclOperationTypes[item.operation],
    permissionType: AclPermissionTypes[item.permission_type],
  };
}
