/**
 * Kafka ingest benchmark (`npm run bench:ingest`). In one run, on the same
 * topic of N events (~600 bytes) over 6 partitions:
 *   1. kafkajs consume-only: the ceiling the client allows (no processing);
 *   2. raw ClickHouse insert of the same rows (the storage ceiling);
 *   3. Warden end to end: produced → all visible in ClickHouse.
 * Reports events/s and Warden's ratio to each ceiling. Not a test: it reports.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { instantFromDate } from '@warden/common';
import type { AgentAction } from '@warden/contracts';
import { AGENT_ACTION_COLUMNS, CLICKHOUSE_CLIENT, MIGRATIONS, TableNames, toAgentActionRow } from '@warden/storage';
import { createTopic, ensureKafkaBroker, tempDir } from '@warden/testing';
import { ADMIN_AUTH, startWarden } from '../test/support/warden-server.js';
import { writeReport } from './report.js';

const N = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const PARTITIONS = 6;

function benchEvent(i: number, tag: string): AgentAction {
  const principal = `agent-${i % 2000}`;
  return {
    event_id: `${tag}-${i}`,
    schema_version: '1',
    occurred_at: new Date(Date.UTC(2026, 10, 1) + i).toISOString(),
    tenant: 'default',
    principal: { id: principal, kind: 'agent', display_name: `Agent ${i % 2000}` },
    agent: { id: principal, framework: 'langgraph', model: 'gpt-5', on_behalf_of: `user-${i % 500}@example.com` },
    action: { type: i % 10 === 0 ? 'message.post' : 'data.read', name: 'fetch_document' },
    resource: { type: 'drive.file', id: `file-${i % 50_000}`, name: `Quarterly report ${i % 97}.xlsx`, sensitivity: 'internal', owner: 'finance' },
    outcome: 'success',
    source: { system: 'agent-gateway', session_id: `sess-${i % 9000}`, trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', ip: '10.20.30.40' },
    attributes: { tool_call_id: `call_${i}`, latency_ms: i % 900, note: 'x'.repeat(40) },
  };
}

async function produceAll(brokers: string[], topic: string, tag: string): Promise<{ seconds: number; bytes: number }> {
  const producer = new Kafka({ clientId: 'bench', brokers, logLevel: logLevel.ERROR }).producer({
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const started = performance.now();
  let bytes = 0;
  const inflight: Promise<unknown>[] = [];
  for (let i = 0; i < N; i += 5000) {
    const messages = [];
    for (let j = i; j < Math.min(N, i + 5000); j++) {
      const e = benchEvent(j, tag);
      const value = JSON.stringify(e);
      bytes += value.length;
      messages.push({ key: e.principal.id, value });
    }
    inflight.push(producer.send({ topic, acks: -1, messages }));
    if (inflight.length >= 4) await inflight.shift();
  }
  await Promise.all(inflight);
  await producer.disconnect();
  return { seconds: (performance.now() - started) / 1000, bytes };
}

async function consumeOnly(brokers: string[], topic: string): Promise<number> {
  const consumer = new Kafka({ clientId: 'bench', brokers, logLevel: logLevel.ERROR }).consumer({
    groupId: `bench-consume-only-${Date.now()}`,
    maxBytes: 32 * 1024 * 1024,
    maxBytesPerPartition: 8 * 1024 * 1024,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  let started = 0;
  const done = new Promise<number>((resolve) => {
    void consumer.run({
      partitionsConsumedConcurrently: PARTITIONS,
      eachBatch: async ({ batch }) => {
        if (started === 0) started = performance.now();
        seen += batch.messages.length;
        if (seen >= N) resolve((performance.now() - started) / 1000);
      },
    });
  });
  const seconds = await done;
  await consumer.disconnect();
  return seconds;
}

async function rawInsert(client: ClickHouseClient, tag: string): Promise<number> {
  const tables = new TableNames('bench_raw');
  await client.command({ query: 'DROP DATABASE IF EXISTS bench_raw' });
  await client.command({ query: 'CREATE DATABASE bench_raw' });
  for (const statement of MIGRATIONS[0].statements(tables)) await client.command({ query: statement });
  const now = instantFromDate(new Date());
  let seconds = 0;
  for (let i = 0; i < N; i += 10_000) {
    const rows = [];
    for (let j = i; j < Math.min(N, i + 10_000); j++) rows.push(toAgentActionRow(benchEvent(j, tag), now));
    const started = performance.now();
    await client.insert({ table: tables.agentActions, values: rows, columns: [...AGENT_ACTION_COLUMNS] as [string, ...string[]], format: 'JSONCompactEachRow' });
    seconds += (performance.now() - started) / 1000;
  }
  await client.command({ query: 'DROP DATABASE bench_raw' });
  return seconds;
}

async function main(): Promise<void> {
  const { brokers } = await ensureKafkaBroker();
  const topic = `bench-actions-${Date.now()}`;
  await createTopic(brokers, topic, PARTITIONS);
  const tag = `b${Date.now().toString(36)}`;
  console.log(`producing ${N.toLocaleString()} events to ${topic} …`);
  const produced = await produceAll(brokers, topic, tag);
  console.log(`produced in ${produced.seconds.toFixed(1)} s; consume-only ceiling …`);
  const consumeSeconds = await consumeOnly(brokers, topic);

  const data = tempDir('warden-bench-');
  const warden = await startWarden({
    WARDEN_DATA_DIR: data.path,
    WARDEN_KAFKA_BROKERS: brokers.join(','),
    WARDEN_KAFKA_TOPIC: topic,
    WARDEN_KAFKA_DLQ_TOPIC: `${topic}.dlq`,
    WARDEN_KAFKA_GROUP: `bench-warden-${Date.now()}`,
    WARDEN_LOG_LEVEL: 'error',
    // Tuning under test, e.g. BENCH_BATCH_MAX_EVENTS=2000 npm run bench:ingest
    ...(process.env.BENCH_BATCH_MAX_EVENTS ? { WARDEN_KAFKA_BATCH_MAX_EVENTS: process.env.BENCH_BATCH_MAX_EVENTS } : {}),
  });
  console.log('Warden end to end …');
  const started = performance.now();
  let rssPeak = 0;
  for (;;) {
    const res = await fetch(`${warden.url}/v1/ingest/metrics`, { headers: ADMIN_AUTH });
    if (!res.ok) throw new Error(`reading ingest metrics failed: ${res.status} ${await res.text()}`);
    const m = (await res.json()) as { stored: number; duplicates: number };
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    if (m.stored + m.duplicates >= N) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const wardenSeconds = (performance.now() - started) / 1000;
  const metrics = await (await fetch(`${warden.url}/v1/ingest/metrics`, { headers: ADMIN_AUTH })).json();
  console.log('raw ClickHouse insert ceiling …');
  const insertSeconds = await rawInsert(warden.app.get<ClickHouseClient>(CLICKHOUSE_CLIENT), tag);
  await warden.close();
  data.cleanup();

  const rate = (s: number) => Math.round(N / s);
  writeReport(
    process.env.BENCH_REPORT ?? 'ingest-latest',
    `Kafka ingest, ${N.toLocaleString()} events of ~${Math.round(produced.bytes / N)} bytes on ${PARTITIONS} partitions`,
    [
      { name: 'Warden end to end (produced → visible in ClickHouse)', value: rate(wardenSeconds), unit: 'events/s' },
      { name: 'kafkajs consume-only ceiling', value: rate(consumeSeconds), unit: 'events/s' },
      { name: 'raw ClickHouse insert (JSONCompactEachRow, 10k rows/insert)', value: rate(insertSeconds), unit: 'events/s' },
      { name: 'producer (kafkajs, acks=all)', value: rate(produced.seconds), unit: 'events/s' },
      { name: 'peak RSS of the ingest process', value: Math.round(rssPeak / 2 ** 20), unit: 'MiB' },
    ],
    [
      { name: 'Warden / kafkajs consume-only', value: Math.round((consumeSeconds / wardenSeconds) * 1000) / 1000, unit: '' },
      { name: 'Warden / raw ClickHouse insert', value: Math.round((insertSeconds / wardenSeconds) * 1000) / 1000, unit: '' },
    ],
    { events: N, partitions: PARTITIONS, batch_max_events: Number(process.env.BENCH_BATCH_MAX_EVENTS ?? 10_000), average_event_bytes: Math.round(produced.bytes / N), warden_metrics: metrics },
  );
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
