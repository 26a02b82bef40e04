import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopic, ensureKafkaBroker, tempDir } from '@warden/testing';
import { asMessages, eventStream, groupProgress, physicalCounts, produce, uniqueName } from '../support/kafka-fixtures.js';
import { eventually, getJson, spawnWarden, type WardenProcess } from '../support/warden-process.js';

let brokers: string[];
const scratch = tempDir();
const running: WardenProcess[] = [];

beforeAll(async () => {
  ({ brokers } = await ensureKafkaBroker());
});
afterAll(async () => {
  await Promise.all(running.map((p) => p.kill('SIGKILL')));
  scratch.cleanup();
});

async function freshTopic(): Promise<{ topic: string; group: string }> {
  const topic = uniqueName('proc-actions');
  await createTopic(brokers, topic, 6);
  await createTopic(brokers, `${topic}.dlq`, 1);
  return { topic, group: uniqueName('proc-group') };
}

async function ingestor(name: string, topic: string, group: string): Promise<WardenProcess> {
  const dataDir = join(scratch.path, name);
  const p = await spawnWarden(
    {
      WARDEN_DATA_DIR: dataDir,
      WARDEN_KAFKA_BROKERS: brokers.join(','),
      WARDEN_KAFKA_TOPIC: topic,
      WARDEN_KAFKA_DLQ_TOPIC: `${topic}.dlq`,
      WARDEN_KAFKA_GROUP: group,
      // Small chunks so a kill lands between commits.
      WARDEN_KAFKA_BATCH_MAX_EVENTS: '500',
    },
    join(scratch.path, `${name}.log`),
  );
  running.push(p);
  return p;
}

const stored = (p: WardenProcess) => getJson<{ stored: number }>(`${p.url}/v1/ingest/metrics`).then((m) => m.stored);

describe('Kafka ingestor processes', () => {
  it('after SIGKILL mid-stream and a restart, stores every event exactly once', async () => {
    const { topic, group } = await freshTopic();
    const tag = uniqueName('kill');
    const events = eventStream(30_000, 30, tag);
    let p = await ingestor('killed', topic, group);
    await produce(brokers, topic, asMessages(events));
    const before = await eventually(() => stored(p), (n) => n >= 3000, { what: 'ingest under way', intervalMs: 50 });
    expect(before).toBeLessThan(30_000);
    expect(await p.kill('SIGKILL')).toBe('SIGKILL');

    p = await ingestor('killed', topic, group);
    await eventually(() => groupProgress(brokers, group, topic), (g) => g.committed === g.end, { what: 'all offsets committed', timeoutMs: 180_000 });
    expect(await p.kill('SIGTERM')).toBe(0);

    const counts = await physicalCounts(join(scratch.path, 'killed'));
    expect(counts.rows).toBe(30_000);
    expect(counts.distinct).toBe(30_000);
  });

  it('splits partitions between two ingestors of one group; when one stops the other takes over; exactly once in total', async () => {
    const { topic, group } = await freshTopic();
    const tag = uniqueName('pair');
    const events = eventStream(12_000, 60, tag);
    const a = await ingestor('pair-a', topic, group);
    const b = await ingestor('pair-b', topic, group);

    await produce(brokers, topic, asMessages(events.slice(0, 6000)));
    await eventually(async () => (await stored(a)) + (await stored(b)), (n) => n >= 6000, { what: 'first half stored' });
    const [firstA, firstB] = [await stored(a), await stored(b)];
    expect(firstA + firstB).toBe(6000);
    expect(firstA).toBeGreaterThan(0);
    expect(firstB).toBeGreaterThan(0);

    expect(await a.kill('SIGTERM')).toBe(0);
    await produce(brokers, topic, asMessages(events.slice(6000)));
    await eventually(() => groupProgress(brokers, group, topic), (g) => g.committed === g.end && g.end === 12_000, {
      what: 'b consumed everything',
      timeoutMs: 180_000,
    });
    expect(await stored(b)).toBe(12_000 - firstA);
    expect(await b.kill('SIGTERM')).toBe(0);

    const inA = await physicalCounts(join(scratch.path, 'pair-a'));
    const inB = await physicalCounts(join(scratch.path, 'pair-b'));
    expect(inA.rows + inB.rows).toBe(12_000);
    const union = new Set([...inA.ids, ...inB.ids]);
    expect(union.size).toBe(12_000);
  });

  it('on SIGTERM, finishes and commits what it stored, leaves the group and exits 0', async () => {
    const { topic, group } = await freshTopic();
    const events = eventStream(5000, 10, uniqueName('term'));
    const p = await ingestor('term', topic, group);
    await produce(brokers, topic, asMessages(events));
    await eventually(() => stored(p), (n) => n >= 5000, { what: 'all stored' });
    // Exit 0 also means within WARDEN_SHUTDOWN_TIMEOUT_MS: past it the process exits 1.
    expect(await p.kill('SIGTERM')).toBe(0);
    expect(await groupProgress(brokers, group, topic)).toEqual({ committed: 5000, end: 5000 });
  });
});
