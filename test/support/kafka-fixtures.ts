import { randomUUID } from 'node:crypto';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { agentAction } from '@warden/testing';
import type { AgentAction } from '@warden/contracts';
import { createClickHouseClient } from '@warden/storage';

export const uniqueName = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

/** `count` valid events spread over `principals` principals, in time order per principal. */
export function eventStream(count: number, principals: number, tag: string): AgentAction[] {
  const base = Date.UTC(2026, 10, 1);
  return Array.from({ length: count }, (_, i) =>
    agentAction({
      event_id: `${tag}-${i}`,
      principal: { id: `${tag}-p${i % principals}` },
      occurred_at: new Date(base + i * 10).toISOString(),
    }),
  );
}

/** Produces values keyed by principal (or the given key), in acknowledged batches. */
export async function produce(
  brokers: string[],
  topic: string,
  messages: { key: string | null; value: string | Buffer }[],
): Promise<void> {
  const producer = new Kafka({ clientId: 'warden-test', brokers, logLevel: logLevel.ERROR }).producer({
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += 2000) {
      await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 2000) });
    }
  } finally {
    await producer.disconnect();
  }
}

export const asMessages = (events: AgentAction[]) => events.map((e) => ({ key: e.principal.id, value: JSON.stringify(e) }));

/** Physical row counts of a stopped Warden's embedded store, without FINAL: proves nothing was written twice. */
export async function physicalCounts(dataDir: string): Promise<{ rows: number; distinct: number; ids: Set<string> }> {
  const client = createClickHouseClient({ kind: 'embedded', dataDir, database: 'warden' });
  try {
    const rs = await client.query({ query: 'SELECT event_id FROM warden.agent_actions', format: 'JSONCompactEachRow' });
    const ids = (await rs.json<[string]>()).map((r) => r[0]);
    return { rows: ids.length, distinct: new Set(ids).size, ids: new Set(ids) };
  } finally {
    await client.close();
  }
}

/** Committed offsets of a group summed over a topic's partitions, and the topic's end offsets. */
export async function groupProgress(brokers: string[], groupId: string, topic: string): Promise<{ committed: number; end: number }> {
  const admin = new Kafka({ clientId: 'warden-test', brokers, logLevel: logLevel.ERROR }).admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const ends = await admin.fetchTopicOffsets(topic);
    return {
      committed: offsets.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0),
      end: ends.reduce((n, p) => n + Number(p.high), 0),
    };
  } finally {
    await admin.disconnect();
  }
}
