import { randomUUID } from 'node:crypto';
import {
  type Admin,
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  type AclEntry,
  Kafka,
  type Producer,
  ResourcePatternTypes,
  logLevel,
} from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KAFKA_TEST_USERS, type KafkaTestUser, createTopic, ensureKafkaBroker, plainSasl } from './kafka-broker.js';

const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

let brokers: string[];
let saslBrokers: string[];
let admin: Admin;

beforeAll(async () => {
  // The first run downloads the broker's jars from Maven Central: give it time.
  ({ brokers, saslBrokers } = await ensureKafkaBroker());
  admin = new Kafka({ clientId: 'kafka-broker-spec-admin', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
}, 15 * 60_000);

afterAll(async () => {
  await admin?.disconnect();
});

/** Sum of a topic's high watermarks: how many records it holds. */
async function recordsIn(topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((n, p) => n + Number(p.high), 0);
}

async function until<T>(what: string, probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('local Kafka broker: consumer group with committed offsets', () => {
  it('consumes exactly the 100 keyed messages produced to a 3-partition topic, and a member joining later resumes after the commits', async () => {
    const topic = unique('broker-spec-group');
    const groupId = unique('broker-spec-group');
    expect(await createTopic(brokers, topic, 3)).toBe(true);
    expect(await createTopic(brokers, topic, 3)).toBe(false); // idempotent
    await expect(createTopic(brokers, topic, 4)).rejects.toThrow(/exists with 3 partitions, not 4/);

    const kafka = new Kafka({ clientId: 'kafka-broker-spec', brokers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    const sent = Array.from({ length: 100 }, (_, i) => ({ key: `principal-${i % 10}`, value: `event-${i}` }));
    await producer.send({ topic, acks: -1, messages: sent });
    expect(await recordsIn(topic)).toBe(100);

    type Received = { key: string; value: string; partition: number };
    const consume = async (expected: number): Promise<Received[]> => {
      // A short fetch wait: disconnect() lets the fetch in flight finish first.
      const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 250 });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const received: Received[] = [];
      let reached!: () => void;
      const reachedExpected = new Promise<void>((r) => (reached = r));
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          received.push({ key: String(message.key), value: String(message.value), partition });
          await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
          if (received.length === expected) reached();
        },
      });
      await Promise.race([
        reachedExpected,
        new Promise((_, reject) => setTimeout(() => reject(new Error(`received ${received.length} of ${expected}`)), 40_000)),
      ]);
      // Give a duplicate (redelivery) a moment to show itself before stopping.
      await new Promise((r) => setTimeout(r, 500));
      await consumer.disconnect();
      return received;
    };

    const first = await consume(100);
    expect(first).toHaveLength(100);
    expect(new Set(first.map((m) => m.value))).toEqual(new Set(sent.map((m) => m.value)));
    // Keyed: every key lives in exactly one partition, and the 10 keys use all 3 partitions.
    const partitionsOfKey = new Map<string, Set<number>>();
    for (const m of first) partitionsOfKey.set(m.key, (partitionsOfKey.get(m.key) ?? new Set()).add(m.partition));
    expect([...partitionsOfKey.values()].every((p) => p.size === 1)).toBe(true);
    expect(new Set(first.map((m) => m.partition))).toEqual(new Set([0, 1, 2]));

    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const committedTotal = committed!.partitions.reduce((n, p) => n + Number(p.offset), 0);
    expect(committedTotal).toBe(100);

    // A new member of the same group starts from the committed offsets: only the 5 new messages.
    const more = Array.from({ length: 5 }, (_, i) => ({ key: `principal-${i}`, value: `late-${i}` }));
    await producer.send({ topic, acks: -1, messages: more });
    await producer.disconnect();
    const second = await consume(5);
    expect(second.map((m) => m.value).sort()).toEqual(more.map((m) => m.value).sort());
    expect(await recordsIn(topic)).toBe(105);
  });
});

describe('local Kafka broker: ACLs on the SASL/PLAIN listener', () => {
  const aclFor = (topic: string, user: KafkaTestUser): AclEntry => ({
    resourceType: AclResourceTypes.TOPIC,
    resourceName: topic,
    resourcePatternType: ResourcePatternTypes.LITERAL,
    principal: `User:${user.username}`,
    host: '*',
    operation: AclOperationTypes.WRITE,
    permissionType: AclPermissionTypes.ALLOW,
  });

  /** The ACLs the broker's authorizer holds for `topic` (what it will enforce). */
  const aclsOn = async (topic: string): Promise<string[]> => {
    const described = await admin.describeAcls({
      resourceType: AclResourceTypes.TOPIC,
      resourceName: topic,
      resourcePatternType: ResourcePatternTypes.LITERAL,
      operation: AclOperationTypes.ANY,
      permissionType: AclPermissionTypes.ANY,
    });
    // kafkajs's enums are plain objects at run time (no reverse mapping): name them here.
    const name = (table: object, value: number) => Object.entries(table).find(([, v]) => v === value)?.[0] ?? String(value);
    return described.resources.flatMap((r) =>
      r.acls.map((a) => `${a.principal}:${name(AclOperationTypes, a.operation)}:${name(AclPermissionTypes, a.permissionType)}`),
    );
  };

  /** 'OK', or the Kafka error type (e.g. TOPIC_AUTHORIZATION_FAILED) the produce failed with. */
  const produceOutcome = async (producer: Producer, topic: string, value: string): Promise<string> => {
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
  };

  const saslProducer = async (user: KafkaTestUser): Promise<Producer> => {
    const producer = new Kafka({
      clientId: `kafka-broker-spec-${user.username}`,
      brokers: saslBrokers,
      sasl: plainSasl(user),
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
    }).producer();
    await producer.connect(); // authentication succeeds; authorization is per request
    return producer;
  };

  it('denies agent-alpha writes without an ACL, allows them with a WRITE ACL, and denies them again on the same connection once the ACL is deleted', async () => {
    expect(saslBrokers, 'set WARDEN_TEST_KAFKA_SASL_BROKERS to the SASL/PLAIN listener of WARDEN_KAFKA_BROKERS').not.toHaveLength(0);
    const topic = unique('broker-spec-acl');
    await createTopic(brokers, topic, 1);
    const alpha = await saslProducer(KAFKA_TEST_USERS.agentAlpha);
    const beta = await saslProducer(KAFKA_TEST_USERS.agentBeta);
    try {
      expect(await aclsOn(topic)).toEqual([]);
      expect(await produceOutcome(alpha, topic, 'before-grant')).toBe('TOPIC_AUTHORIZATION_FAILED');
      expect(await recordsIn(topic)).toBe(0);

      await admin.createAcls({ acl: [aclFor(topic, KAFKA_TEST_USERS.agentAlpha)] });
      await until('the WRITE ACL to be in force', () => aclsOn(topic), (acls) => acls.length === 1);
      expect(await aclsOn(topic)).toEqual(['User:agent-alpha:WRITE:ALLOW']);
      expect(await produceOutcome(alpha, topic, 'granted')).toBe('OK');
      // The ACL is for agent-alpha only.
      expect(await produceOutcome(beta, topic, 'beta-while-alpha-granted')).toBe('TOPIC_AUTHORIZATION_FAILED');
      expect(await recordsIn(topic)).toBe(1);

      const deleted = await admin.deleteAcls({ filters: [aclFor(topic, KAFKA_TEST_USERS.agentAlpha)] });
      expect(deleted.filterResponses.map((f) => f.matchingAcls.length)).toEqual([1]);
      await until('the WRITE ACL to be gone', () => aclsOn(topic), (acls) => acls.length === 0);
      expect(await produceOutcome(alpha, topic, 'after-revoke')).toBe('TOPIC_AUTHORIZATION_FAILED');
      expect(await recordsIn(topic)).toBe(1);
    } finally {
      await alpha.disconnect();
      await beta.disconnect();
    }
  });
});
