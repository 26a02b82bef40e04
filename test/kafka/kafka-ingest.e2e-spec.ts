import { spawn } from 'node:child_process';
import type { ClickHouseClient } from '@clickhouse/client';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DLQ_HEADERS } from '@warden/ingestion';
import { CLICKHOUSE_CLIENT } from '@warden/storage';
import { agentAction, createTopic, ensureKafkaBroker, tempDir } from '@warden/testing';
import { asMessages, eventStream, produce, uniqueName } from '../support/kafka-fixtures.js';
import { eventually } from '../support/warden-process.js';
import { http, type RunningWarden, startWarden } from '../support/warden-server.js';

let brokers: string[];
const data = tempDir();

beforeAll(async () => {
  ({ brokers } = await ensureKafkaBroker());
});
afterAll(() => data.cleanup());

/** A Warden consuming its own fresh topic (6 partitions), over the shared data dir of this file. */
async function wardenOnFreshTopic(extra: Record<string, string> = {}): Promise<{ warden: RunningWarden; topic: string; dlq: string }> {
  const topic = uniqueName('actions');
  const dlq = `${topic}.dlq`;
  await createTopic(brokers, topic, 6);
  await createTopic(brokers, dlq, 1);
  const warden = await startWarden({
    WARDEN_DATA_DIR: data.path,
    WARDEN_KAFKA_BROKERS: brokers.join(','),
    WARDEN_KAFKA_TOPIC: topic,
    WARDEN_KAFKA_DLQ_TOPIC: dlq,
    WARDEN_KAFKA_GROUP: uniqueName('group'),
    ...extra,
  });
  return { warden, topic, dlq };
}

const metrics = (w: RunningWarden) => http(w.url).get('/v1/ingest/metrics').then((r) => r.json);

async function totalFor(w: RunningWarden, principals: string[]): Promise<number> {
  let total = 0;
  for (const p of principals) {
    const r = await http(w.url).get(`/v1/principals/${p}/summary`);
    total += r.status === 200 ? r.json.total : 0;
  }
  return total;
}

/** Reads a whole (small) topic from the beginning. */
async function readTopic(topic: string, expected: number) {
  const kafka = new Kafka({ clientId: 'warden-test', brokers, logLevel: logLevel.ERROR });
  const consumer = kafka.consumer({ groupId: uniqueName('reader') });
  const seen: { key: string | null; value: string; headers: Record<string, string> }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
      seen.push({ key: message.key?.toString() ?? null, value: message.value?.toString() ?? '', headers });
    },
  });
  await eventually(async () => seen.length, (n) => n >= expected, { what: `${expected} messages on ${topic}` });
  await new Promise((r) => setTimeout(r, 500)); // would reveal extra messages
  await consumer.disconnect();
  return seen;
}

describe('Kafka ingestion on a real broker', () => {
  it('stores exactly 50,000 events produced across 6 partitions, all queryable', async () => {
    const { warden, topic } = await wardenOnFreshTopic();
    try {
      const events = eventStream(50_000, 40, uniqueName('bulk'));
      await produce(brokers, topic, asMessages(events));
      await eventually(() => metrics(warden), (m) => m.stored >= 50_000, { what: '50,000 stored', timeoutMs: 240_000 });
      const m = await metrics(warden);
      expect(m.stored).toBe(50_000);
      expect(m.received.kafka).toBe(50_000);
      expect(m.duplicates).toBe(0);
      expect(Object.keys(m.consumer_lag).filter((k) => k.startsWith(`${topic}/`))).toHaveLength(6);
      const principals = [...new Set(events.map((e) => e.principal.id))];
      expect(await totalFor(warden, principals)).toBe(50_000);
      const sample = events[12_345];
      expect((await http(warden.url).get(`/v1/actions/${sample.event_id}`)).json.event).toEqual(sample);
    } finally {
      await warden.close();
    }
  });

  it('ingests events produced by kcat, a producer Warden did not write', async () => {
    const { warden, topic } = await wardenOnFreshTopic();
    try {
      const events = eventStream(200, 5, uniqueName('kcat'));
      const input = events.map((e) => `${e.principal.id}\t${JSON.stringify(e)}`).join('\n');
      await new Promise<void>((resolve, reject) => {
        const kcat = spawn('kcat', ['-P', '-b', brokers[0], '-t', topic, '-K', '\t'], { stdio: ['pipe', 'inherit', 'pipe'] });
        let stderr = '';
        kcat.stderr.on('data', (d) => (stderr += d));
        kcat.on('error', (e) => reject(new Error(`kcat could not run (install Debian's kcat): ${e.message}`)));
        kcat.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`kcat exited ${code}: ${stderr}`))));
        kcat.stdin.end(`${input}\n`);
      });
      await eventually(() => metrics(warden), (m) => m.stored >= 200, { what: '200 stored' });
      expect((await metrics(warden)).stored).toBe(200);
      expect(await totalFor(warden, [...new Set(events.map((e) => e.principal.id))])).toBe(200);
    } finally {
      await warden.close();
    }
  });

  it('dead-letters poison messages with reason and coordinates, and keeps the partition moving', async () => {
    const { warden, topic, dlq } = await wardenOnFreshTopic();
    try {
      // One key, so everything lands on one partition in this order.
      const key = 'poisoned-principal';
      const good = Array.from({ length: 30 }, () => agentAction({ principal: { id: key } }));
      const invalid = { ...agentAction({ principal: { id: key } }), principal: { id: key, kind: 'robot' } };
      const oversize = JSON.stringify({ ...agentAction({ principal: { id: key } }), attributes: { pad: 'x'.repeat(80 * 1024) } });
      const sequence: { key: string; value: string; expect?: string }[] = [];
      good.forEach((e, i) => {
        sequence.push({ key, value: JSON.stringify(e) });
        if (i === 5) sequence.push({ key, value: '{"event_id": "truncated', expect: 'not_json' });
        if (i === 10) sequence.push({ key, value: oversize, expect: 'too_large' });
        if (i === 20) sequence.push({ key, value: JSON.stringify(invalid), expect: 'contract' });
      });
      await produce(brokers, topic, sequence);

      await eventually(() => metrics(warden), (m) => m.stored >= 30, { what: 'good events stored' });
      expect(await totalFor(warden, [key])).toBe(30);

      const letters = await readTopic(dlq, 3);
      expect(letters).toHaveLength(3);
      const poisoned = sequence.map((s, offset) => ({ ...s, offset })).filter((s) => s.expect);
      expect(letters.map((l) => l.headers[DLQ_HEADERS.reason])).toEqual(poisoned.map((p) => p.expect));
      expect(letters.map((l) => Number(l.headers[DLQ_HEADERS.offset]))).toEqual(poisoned.map((p) => p.offset));
      for (const l of letters) {
        expect(l.key).toBe(key);
        expect(l.headers[DLQ_HEADERS.topic]).toBe(topic);
        expect(Number.isInteger(Number(l.headers[DLQ_HEADERS.partition]))).toBe(true);
      }
      expect(letters.map((l) => l.value)).toEqual(poisoned.map((p) => p.value));
      expect(JSON.parse(letters[2].headers[DLQ_HEADERS.errors])).toEqual([{ path: 'principal.kind', message: expect.any(String) }]);
      expect((await metrics(warden)).rejected).toEqual({ 'kafka.contract': 1, 'kafka.not_json': 1, 'kafka.too_large': 1 });
    } finally {
      await warden.close();
    }
  });

  it('pauses while storage is unavailable and stores every event exactly once when it is back; lag drains', async () => {
    const { warden, topic } = await wardenOnFreshTopic({ WARDEN_INGEST_RETRY_INITIAL_MS: '50', WARDEN_INGEST_RETRY_MAX_MS: '400' });
    const client = warden.app.get<ClickHouseClient>(CLICKHOUSE_CLIENT);
    try {
      const tag = uniqueName('outage');
      const events = eventStream(6000, 12, tag);
      await produce(brokers, topic, asMessages(events.slice(0, 2000)));
      await eventually(() => metrics(warden), (m) => m.stored >= 2000, { what: 'first 2,000 stored' });

      await client.command({ query: 'DETACH TABLE warden.agent_actions' });
      await produce(brokers, topic, asMessages(events.slice(2000)));
      const during = await eventually(() => metrics(warden), (m) => m.storage_failures >= 3, { what: 'storage failures' });
      expect(during.stored).toBe(2000);
      const lagDuring = Object.entries(during.consumer_lag as Record<string, number>).filter(([k]) => k.startsWith(topic));
      expect(lagDuring.length).toBeGreaterThan(0);

      await client.command({ query: 'ATTACH TABLE warden.agent_actions' });
      await eventually(() => metrics(warden), (m) => m.stored >= 6000, { what: 'all 6,000 stored' });
      const after = await eventually(
        () => metrics(warden),
        (m) => Object.entries(m.consumer_lag as Record<string, number>).every(([k, v]) => !k.startsWith(topic) || v === 0),
        { what: 'lag drained' },
      );
      expect(after.stored).toBe(6000);

      const [{ n, ids }] = (await (await client.query({
        query: 'SELECT count() AS n, uniqExact(event_id) AS ids FROM warden.agent_actions WHERE startsWith(event_id, {tag:String})',
        query_params: { tag },
        format: 'JSONEachRow',
      })).json<{ n: string | number; ids: string | number }>());
      expect(Number(n)).toBe(6000);
      expect(Number(ids)).toBe(6000);
    } finally {
      await warden.close();
    }
  });
});
