/**
 * Scenario "kafka-ingest": N events (default 1,000,000, ~700 bytes each) on
 * 6 partitions of one topic, produced once, then drained four ways:
 *   1. kafkajs consume-only: the ceiling the client allows (no processing);
 *   2. Warden end to end: consumed, validated, redacted, deduplicated, stored,
 *      chained (integrity) and evaluated by the shipped rules, until every
 *      event is visible in ClickHouse;
 *   3. raw ClickHouse insert of the same rows (the storage ceiling);
 *   4. ClickHouse's own Kafka table engine draining the same topic into an
 *      equivalent table (no Node.js in the data path).
 * Reports events/s and Warden's ratio to each ceiling, with the peak RSS and
 * CPU of the Warden process (it runs in this process; the ceilings run
 * before or after it, never alongside), and the CPU per event of each
 * JavaScript step of the ingest path, which is what bounds it on 2 cores.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { instantFromDate } from '@warden/common';
import { AgentActionRepository, CLICKHOUSE_CLIENT, MIGRATIONS, TableNames, toAgentActionRow } from '@warden/storage';
import { createTopic, ensureKafkaBroker, tempDir } from '@warden/testing';
import { ADMIN_AUTH, startWarden } from '../../test/support/warden-server.js';
import type { BenchFigure } from '../scenario.js';
import { type ScenarioResult, runScenario } from '../scenario.js';
import { benchEvent } from './support/events.js';
import { measureIngestStages } from './support/ingest-stages.js';
import { measureKafkaEngineIngest } from './support/kafka-engine-ceiling.js';
import { startLoadMeter, threadsFigure } from './support/load-meter.js';

const N = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const PARTITIONS = 6;

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

/** The same rows Warden writes, inserted 10,000 at a time: the storage ceiling. */
async function rawInsert(client: ClickHouseClient, tag: string): Promise<number> {
  const tables = new TableNames('bench_raw');
  await client.command({ query: 'DROP DATABASE IF EXISTS bench_raw' });
  await client.command({ query: 'CREATE DATABASE bench_raw' });
  for (const migration of MIGRATIONS) for (const statement of migration.statements(tables)) await client.command({ query: statement });
  // Warden's own insert (the payload sent as the object itself), with nothing else running.
  const repository = new AgentActionRepository(client, tables);
  const now = instantFromDate(new Date());
  let seconds = 0;
  for (let i = 0; i < N; i += 10_000) {
    const rows = [];
    for (let j = i; j < Math.min(N, i + 10_000); j++) rows.push(toAgentActionRow(benchEvent(j, tag), now));
    const started = performance.now();
    await repository.insert(rows);
    seconds += (performance.now() - started) / 1000;
  }
  await client.command({ query: 'DROP DATABASE bench_raw' });
  return seconds;
}

async function main(): Promise<ScenarioResult> {
  const { brokers } = await ensureKafkaBroker();
  const topic = `bench-actions-${Date.now()}`;
  await createTopic(brokers, topic, PARTITIONS);
  const tag = `b${Date.now().toString(36)}`;
  console.log(`producing ${N.toLocaleString()} events to ${topic} …`);
  const produced = await produceAll(brokers, topic, tag);
  console.log(`produced in ${produced.seconds.toFixed(1)} s; kafkajs consume-only ceiling …`);
  const consumeSeconds = await consumeOnly(brokers, topic);

  const data = tempDir('warden-bench-');
  const warden = await startWarden({
    WARDEN_DATA_DIR: data.path,
    WARDEN_KAFKA_BROKERS: brokers.join(','),
    WARDEN_KAFKA_TOPIC: topic,
    WARDEN_KAFKA_DLQ_TOPIC: `${topic}.dlq`,
    WARDEN_KAFKA_GROUP: `bench-warden-${Date.now()}`,
    WARDEN_LOG_LEVEL: 'error',
    // Tuning under test, e.g. BENCH_BATCH_MAX_EVENTS=2000 npm run bench -- kafka-ingest
    ...(process.env.BENCH_BATCH_MAX_EVENTS ? { WARDEN_KAFKA_BATCH_MAX_EVENTS: process.env.BENCH_BATCH_MAX_EVENTS } : {}),
    // e.g. BENCH_TRIAGE_WORKERS=0 to decode and validate on the main thread
    ...(process.env.BENCH_TRIAGE_WORKERS ? { WARDEN_KAFKA_TRIAGE_WORKERS: process.env.BENCH_TRIAGE_WORKERS } : {}),
  });
  console.log('Warden end to end …');
  const rssAtStart = process.memoryUsage().rss;
  const cpuAtStart = process.cpuUsage();
  const load = startLoadMeter();
  const started = performance.now();
  let rssPeak = rssAtStart;
  for (;;) {
    const res = await fetch(`${warden.url}/v1/ingest/metrics`, { headers: ADMIN_AUTH });
    if (!res.ok) throw new Error(`reading ingest metrics failed: ${res.status} ${await res.text()}`);
    const m = (await res.json()) as { stored: number; duplicates: number };
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    if (m.stored + m.duplicates >= N) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const wardenSeconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuAtStart);
  const loadDuring = load.stop();
  const metrics = (await (await fetch(`${warden.url}/v1/ingest/metrics`, { headers: ADMIN_AUTH })).json()) as Record<string, unknown>;
  const client = warden.app.get<ClickHouseClient>(CLICKHOUSE_CLIENT);
  console.log('raw ClickHouse insert ceiling …');
  const insertSeconds = await rawInsert(client, tag);
  console.log('ClickHouse Kafka-engine ceiling …');
  let engine: { seconds: number; note: string } | { error: string };
  try {
    engine = await measureKafkaEngineIngest(client, { brokers, topic, partitions: PARTITIONS, expected: N });
  } catch (error) {
    engine = { error: error instanceof Error ? error.message : String(error) };
  }
  await warden.close();
  data.cleanup();
  console.log('CPU per event of each JavaScript step …');
  const stages = await measureIngestStages();

  const rate = (s: number) => Math.round(N / s);
  const ratio = (ceiling: number) => Math.round((ceiling / wardenSeconds) * 1000) / 1000;
  const figures: BenchFigure[] = [
    { name: 'Warden end to end (produced → visible in ClickHouse, detection and integrity chain on)', value: rate(wardenSeconds), unit: 'events/s' },
    { name: 'kafkajs consume-only ceiling', value: rate(consumeSeconds), unit: 'events/s' },
    { name: 'raw ClickHouse insert of the same rows (10k rows per insert)', value: rate(insertSeconds), unit: 'events/s' },
  ];
  const ratios: BenchFigure[] = [
    { name: 'Warden / kafkajs consume-only', value: ratio(consumeSeconds), unit: '' },
    { name: 'Warden / raw ClickHouse insert', value: ratio(insertSeconds), unit: '' },
  ];
  if ('seconds' in engine) {
    figures.push({ name: 'ClickHouse Kafka table engine into an equivalent table', value: rate(engine.seconds), unit: 'events/s' });
    ratios.push({ name: 'Warden / ClickHouse Kafka engine', value: ratio(engine.seconds), unit: '' });
  } else {
    figures.push({ name: 'ClickHouse Kafka table engine', value: 0, unit: 'events/s', note: `not measured: ${engine.error.split('\n')[0]}` });
  }
  figures.push(
    { name: 'producer (kafkajs, acks=all)', value: rate(produced.seconds), unit: 'events/s' },
    { name: 'peak RSS of the ingest process', value: Math.round(rssPeak / 2 ** 20), unit: 'MiB', note: `${Math.round(rssAtStart / 2 ** 20)} MiB when ingest began` },
    { name: 'CPU of the ingest process while ingesting', value: Math.round(((cpu.user + cpu.system) / 1e6 / wardenSeconds) * 100) / 100, unit: 'cores', note: `JavaScript and the embedded engine together; machine ${loadDuring.machine_busy_cores} of ${loadDuring.machine_cores} cores busy` },
    threadsFigure(loadDuring, 'CPU of the ingest process by thread, while ingesting'),
  );
  const jsTotal = stages.reduce((sum, s) => sum + s.micros, 0);
  for (const s of stages) figures.push({ name: `JS step: ${s.stage}`, value: s.micros, unit: 'µs CPU/event', note: 'one thread, no I/O' });
  figures.push({
    name: 'JS steps together',
    value: Math.round(jsTotal * 10) / 10,
    unit: 'µs CPU/event',
    note: `at most ${Math.round(1e6 / jsTotal).toLocaleString('en-US')} events/s on one thread, before Kafka decoding and the engine's own work`,
  });
  return {
    title: `Kafka ingest, ${N.toLocaleString()} events of ~${Math.round(produced.bytes / N)} bytes on ${PARTITIONS} partitions`,
    figures,
    ratios,
    context: {
      events: N,
      partitions: PARTITIONS,
      batch_max_events: Number(process.env.BENCH_BATCH_MAX_EVENTS ?? 10_000),
      triage_workers: Number(process.env.BENCH_TRIAGE_WORKERS ?? 1),
      average_event_bytes: Math.round(produced.bytes / N),
      kafka_engine: 'note' in engine ? engine.note : engine,
      warden_metrics: metrics,
    },
  };
}

runScenario('kafka-ingest', main);
