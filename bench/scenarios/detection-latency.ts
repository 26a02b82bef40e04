/**
 * Scenario "detection-latency": how long from an event's arrival to its alert
 * reaching on-call, while Warden ingests a steady 5,000 events/s from Kafka
 * with the shipped rules loaded.
 *
 * - Traffic: a child process produces benign events (support/events.ts) at
 *   BENCH_RATE events/s for BENCH_DURATION_S seconds (acks = -1), and every
 *   BENCH_TRIGGER_EVERY_MS one trigger event (support/trigger-events.ts): an
 *   agent widening a restricted folder from a team of 12 to the organisation,
 *   which fires permission-widening-sensitive on that one event. Each trigger
 *   has its own principal, so grouping and throttling never suppress one.
 *   The same event also fires first-seen-privileged-agent-action (an agent's
 *   first permission.* action): measured alongside, as a second alert.
 * - Arrival = the producer's Date.now() just before the send that carries the
 *   trigger (also written as the event's occurred_at); "ack" = when that send
 *   resolved. Alert received = a separate receiver process's Date.now() when
 *   the webhook request body was complete; Warden's webhook sink points at it.
 * - Warden's own view: GET /v1/alerts/status (sink 2xx − occurred_at and
 *   − ingested_at) and, per trigger, the alert_detections row (ingested_at:
 *   the batch's ingest time; received_at: when the dispatcher accepted the
 *   detection), which splits the path into Kafka+consume, store+detect, and
 *   outbox+HTTP.
 * - WARDEN_INGEST_MIN_WRITE_INTERVAL_MS, when set, is handed to Warden (its
 *   write pacing; 0 writes as soon as the previous write ends).
 * - BENCH_NOISY_EVERY=n makes every n-th benign event fire a noisy rule
 *   (action-without-required-confirmation), so most batches are urgent and
 *   skip the write pacing: what such a rule costs.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { ALERTING_TABLES } from '@warden/alerting';
import { CLICKHOUSE_CLIENT, TABLE_NAMES, type TableNames } from '@warden/storage';
import { createTopic, ensureKafkaBroker, tempDir } from '@warden/testing';
import { ADMIN_AUTH, startWarden } from '../../test/support/warden-server.js';
import type { BenchFigure } from '../scenario.js';
import { ms, quantile, runScenario, type ScenarioResult } from '../scenario.js';
import { deleteTopics, groupLag } from './support/group-lag.js';
import { type TriggerSent, spawnSteadyProducer } from './support/steady-producer.js';
import { TRIGGER_RULE, TRIGGER_SIDE_RULE } from './support/trigger-events.js';
import { gcFigure, startLoadMeter, threadsFigure } from './support/load-meter.js';
import { startWebhookReceiver } from './support/webhook-receiver.js';

const RATE = Number(process.env.BENCH_RATE ?? 5000);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 60);
const TRIGGER_EVERY_MS = Number(process.env.BENCH_TRIGGER_EVERY_MS ?? 1000);
/** Every n-th benign event fires a noisy rule (see SteadyProducerOptions.noisyEvery); 0: none. */
const NOISY_EVERY = Number(process.env.BENCH_NOISY_EVERY ?? 0);
/** Benign traffic only, before the first trigger: the consumer has joined and is at steady state. */
const WARMUP_S = Number(process.env.BENCH_WARMUP_S ?? 5);
/**
 * Before Warden starts: the same rate to a throwaway topic, so the broker's
 * JIT is warm. Without it, the first runs after `npm run kafka:up` were the
 * slowest of a day's (p99 6–8 s against 1–3 s for the runs after them).
 */
const BROKER_WARMUP_S = Number(process.env.BENCH_BROKER_WARMUP_S ?? 20);
/** After production ends, how long to wait for the last alerts and for the consumer to drain. */
const SETTLE_S = Number(process.env.BENCH_SETTLE_S ?? 60);
const PARTITIONS = 6;
/** How many of the slowest alerts the context splits into the breakdown's legs. */
const SLOWEST_SHOWN = 8;
const SECRET = 'bench-webhook-signing-secret-0001';

const sleep = (n: number) => new Promise((r) => setTimeout(r, n));

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { headers: ADMIN_AUTH });
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function waitReady(url: string, timeoutMs = 120_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${url}/readyz`).catch(() => null);
    if (res?.ok) return;
    if (Date.now() > until) throw new Error(`Warden not ready after ${timeoutMs} ms: ${res ? `${res.status} ${await res.text()}` : 'no answer'}`);
    await sleep(200);
  }
}

interface Summary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** How many took longer than the 500 ms target: with ~55 triggers the p99 is the worst one or two. */
  over_500ms: number;
}
function summarise(values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: ms(quantile(sorted, 0.5)),
    p90: ms(quantile(sorted, 0.9)),
    p99: ms(quantile(sorted, 0.99)),
    max: ms(sorted[sorted.length - 1] ?? Number.NaN),
    over_500ms: sorted.filter((v) => v > 500).length,
  };
}

interface LatencySnapshot {
  count: number;
  p50_ms: number | null;
  p99_ms: number | null;
  max_ms: number | null;
}
interface AlertsStatus {
  enabled: boolean;
  failed_deliveries: unknown[];
  latency: { from_occurred: LatencySnapshot; from_ingested: LatencySnapshot } | null;
}
interface IngestMetrics {
  received: Record<string, number>;
  stored: number;
  duplicates: number;
  consumer_lag: Record<string, number>;
  after_store_failures: Record<string, number>;
  insert_latency_ms: Record<string, number>;
  batch_size: Record<string, number>;
}

async function main(): Promise<ScenarioResult> {
  const { brokers } = await ensureKafkaBroker();
  const stamp = Date.now();
  const topic = `bench-detection-latency-${stamp}`;
  const group = `bench-detection-latency-${stamp}`;
  const tag = `dl${stamp.toString(36)}`;
  await createTopic(brokers, topic, PARTITIONS);
  const warmTopic = `${topic}-broker-warmup`;
  if (BROKER_WARMUP_S > 0) {
    await createTopic(brokers, warmTopic, PARTITIONS);
    console.log(`warming the broker up: ${RATE.toLocaleString()} events/s for ${BROKER_WARMUP_S} s to ${warmTopic} …`);
    await spawnSteadyProducer({ brokers, topic: warmTopic, rate: RATE, durationS: BROKER_WARMUP_S, tag: `${tag}w` }).done;
    await deleteTopics(brokers, [warmTopic]);
  }

  const receiver = await startWebhookReceiver();
  const data = tempDir('warden-bench-');
  const configFile = join(data.path, 'warden.yaml');
  writeFileSync(
    configFile,
    ['alerting:', '  console_url: http://127.0.0.1:8080/console', '  sinks:', `    - { name: bench-webhook, type: webhook, url: '${receiver.url}', secret: ${SECRET} }`, ''].join('\n'),
  );
  const warden = await startWarden({
    WARDEN_DATA_DIR: join(data.path, 'store'),
    WARDEN_CONFIG: configFile,
    WARDEN_KAFKA_BROKERS: brokers.join(','),
    WARDEN_KAFKA_TOPIC: topic,
    WARDEN_KAFKA_DLQ_TOPIC: `${topic}.dlq`,
    WARDEN_KAFKA_GROUP: group,
    WARDEN_LOG_LEVEL: 'error',
    // Nothing here should contain anyone; the trigger rule is not auto_contain anyway.
    WARDEN_AUTO_CONTAIN: 'off',
    // Warden's write pacing, to compare against the default (startWarden reads no environment of its own).
    ...(process.env.WARDEN_INGEST_MIN_WRITE_INTERVAL_MS ? { WARDEN_INGEST_MIN_WRITE_INTERVAL_MS: process.env.WARDEN_INGEST_MIN_WRITE_INTERVAL_MS } : {}),
  });
  try {
    await waitReady(warden.url);
    const rules = await getJson<{ rules: { id: string; enabled: boolean }[] }>(`${warden.url}/v1/rules`);
    for (const id of [TRIGGER_RULE, TRIGGER_SIDE_RULE]) {
      if (!rules.rules.some((r) => r.id === id && r.enabled)) throw new Error(`shipped rule ${id} is not loaded and enabled`);
    }

    console.log(`producing ${RATE.toLocaleString()} events/s for ${DURATION_S} s to ${topic}, one trigger every ${TRIGGER_EVERY_MS} ms after ${WARMUP_S} s …`);
    const triggers = new Map<string, TriggerSent>();
    const load = startLoadMeter();
    const producer = spawnSteadyProducer(
      { brokers, topic, rate: RATE, durationS: DURATION_S, tag, triggers: { everyMs: TRIGGER_EVERY_MS, startAfterS: WARMUP_S }, noisyEvery: NOISY_EVERY },
      {
        onTrigger: (t) => triggers.set(t.event_id, t),
        onProgress: (p) => {
          if (Math.round(p.elapsed_s) % 10 === 0) console.log(`  ${Math.round(p.elapsed_s)} s: acked ${p.acked.toLocaleString()}, alerts received ${receiver.alerts.length}`);
        },
      },
    );
    const stats = await producer.done;
    const loadDuring = load.stop();
    const lagAtEnd = await groupLag(brokers, group, topic);
    const wardenAtEnd = await getJson<IngestMetrics>(`${warden.url}/v1/ingest/metrics`);
    console.log(`produced ${stats.acked.toLocaleString()} at ${stats.achieved_rate.toLocaleString()}/s; lag at end ${lagAtEnd.total}; settling …`);

    // Every trigger's two alerts, and the consumer at the end of the topic (bounded wait).
    const expected = [...triggers.values()].filter((t) => t.acked_at_ms !== null).length * 2;
    const settleStarted = performance.now();
    let lagAfter = lagAtEnd;
    let drainedAfterS: number | null = lagAtEnd.total === 0 ? 0 : null;
    for (;;) {
      const got = receiver.alerts.filter((a) => a.type === 'alert.triggered').length;
      if (drainedAfterS === null) {
        lagAfter = await groupLag(brokers, group, topic);
        if (lagAfter.total === 0) drainedAfterS = (performance.now() - settleStarted) / 1000;
      }
      if ((got >= expected && drainedAfterS !== null) || performance.now() - settleStarted > SETTLE_S * 1000) break;
      await sleep(250);
    }
    // A late retry would show as a duplicate delivery: give one more second.
    await sleep(1000);

    const status = await getJson<AlertsStatus>(`${warden.url}/v1/alerts/status`);
    const wardenFinal = await getJson<IngestMetrics>(`${warden.url}/v1/ingest/metrics`);
    const client = warden.app.get<ClickHouseClient>(CLICKHOUSE_CLIENT);
    const tables = warden.app.get<TableNames>(TABLE_NAMES);
    const rows = (await (
      await client.query({
        query: `SELECT trigger_event_id, rule_id, toUnixTimestamp64Micro(ingested_at) AS ingested_us, toUnixTimestamp64Micro(received_at) AS accepted_us
                FROM ${tables.table(ALERTING_TABLES.detections)} WHERE tenant = 'default'`,
        format: 'JSONEachRow',
      })
    ).json()) as { trigger_event_id: string; rule_id: string; ingested_us: string; accepted_us: string }[];
    // Each insert into a MergeTree table takes the next block number: per table, how many writes the run made (and so how many parts merges had to fold).
    const writes = (await (
      await client.query({
        // Non-replicated MergeTree numbers blocks per table, across partitions.
        query: `SELECT database || '.' || table AS table, max(max_block_number) AS inserts, countIf(active) AS active_parts
                FROM system.parts WHERE database != 'system' GROUP BY database, table ORDER BY max(max_block_number) DESC`,
        format: 'JSONEachRow',
      })
    ).json()) as { table: string; inserts: string; active_parts: string }[];
    const accepted = new Map(rows.map((r) => [`${r.rule_id}\u0000${r.trigger_event_id}`, { ingested: Number(r.ingested_us) / 1000, accepted: Number(r.accepted_us) / 1000 }]));

    // Per rule: first delivery of each trigger's alert (a retry of the same delivery is counted apart).
    const perRule = (rule: string) => {
      const first = new Map<string, number>();
      let repeats = 0;
      for (const a of receiver.alerts) {
        if (a.type !== 'alert.triggered' || a.rule_id !== rule) continue;
        if (first.has(a.trigger_event_id)) repeats++;
        else first.set(a.trigger_event_id, a.received_at_ms);
      }
      const fromSent: number[] = [];
      const fromAck: number[] = [];
      const toIngested: number[] = [];
      const ingestedToAccepted: number[] = [];
      const acceptedToReceived: number[] = [];
      const series: number[] = [];
      const split: { total: number; to_ingest: number; to_accepted: number; to_received: number }[] = [];
      const missing: string[] = [];
      for (const t of triggers.values()) {
        if (t.acked_at_ms === null) continue;
        const at = first.get(t.event_id);
        if (at === undefined) {
          missing.push(t.event_id);
          continue;
        }
        fromSent.push(at - t.sent_at_ms);
        fromAck.push(at - t.acked_at_ms);
        series.push(Math.round(at - t.sent_at_ms));
        const w = accepted.get(`${rule}\u0000${t.event_id}`);
        if (w) {
          const legs = { to_ingest: w.ingested - t.sent_at_ms, to_accepted: w.accepted - w.ingested, to_received: at - w.accepted };
          toIngested.push(legs.to_ingest);
          ingestedToAccepted.push(legs.to_accepted);
          acceptedToReceived.push(legs.to_received);
          split.push({ total: Math.round(at - t.sent_at_ms), to_ingest: Math.round(legs.to_ingest), to_accepted: Math.round(legs.to_accepted), to_received: Math.round(legs.to_received) });
        }
      }
      const unexpected = [...first.keys()].filter((id) => !triggers.has(id)).length;
      return { received: first.size, repeats, unexpected, missing, fromSent: summarise(fromSent), fromAck: summarise(fromAck), toIngested: summarise(toIngested), ingestedToAccepted: summarise(ingestedToAccepted), acceptedToReceived: summarise(acceptedToReceived), series, slowest: split.sort((a, b) => b.total - a.total).slice(0, SLOWEST_SHOWN) };
    };
    const widening = perRule(TRIGGER_RULE);
    const side = perRule(TRIGGER_SIDE_RULE);
    const sentTriggers = [...triggers.values()].filter((t) => t.acked_at_ms !== null).length;
    const failedTriggers = [...triggers.values()].filter((t) => t.acked_at_ms === null).length;
    const otherAlerts = receiver.alerts.filter((a) => a.rule_id !== TRIGGER_RULE && a.rule_id !== TRIGGER_SIDE_RULE);
    const wardenLatency = status.latency;
    const snap = (s: LatencySnapshot | undefined) => ({ p50: s?.p50_ms ?? Number.NaN, p99: s?.p99_ms ?? Number.NaN, max: s?.max_ms ?? Number.NaN, count: s?.count ?? 0 });
    const wOcc = snap(wardenLatency?.from_occurred);
    const wIng = snap(wardenLatency?.from_ingested);
    const produceSeconds = stats.produce_seconds;

    const figures: BenchFigure[] = [
      { name: `produced → alert received (${TRIGGER_RULE}), p50`, value: widening.fromSent.p50, unit: 'ms', note: 'producer clock before send → receiver clock, separate processes' },
      { name: `produced → alert received (${TRIGGER_RULE}), p99`, value: widening.fromSent.p99, unit: 'ms', note: `${widening.fromSent.count} triggers; p90 ${widening.fromSent.p90} ms; ${widening.fromSent.over_500ms} over 500 ms` },
      { name: `produced → alert received (${TRIGGER_RULE}), max`, value: widening.fromSent.max, unit: 'ms' },
      { name: 'send acknowledged (acks=all) → alert received, p50', value: widening.fromAck.p50, unit: 'ms' },
      { name: 'send acknowledged (acks=all) → alert received, p99', value: widening.fromAck.p99, unit: 'ms' },
      { name: '  of which produced → batch ingest time, p50', value: widening.toIngested.p50, unit: 'ms', note: `p99 ${widening.toIngested.p99} ms: Kafka, fetch wait, validate, dedupe check` },
      { name: '  of which ingest time → dispatcher accepted, p50', value: widening.ingestedToAccepted.p50, unit: 'ms', note: `p99 ${widening.ingestedToAccepted.p99} ms: insert (first-seen's history read runs beside it), rules, the dispatcher's read; the digest and the detections' write run beside them` },
      { name: '  of which accepted → received by webhook, p50', value: widening.acceptedToReceived.p50, unit: 'ms', note: `p99 ${widening.acceptedToReceived.p99} ms: HTTP (the outbox write runs beside it)` },
      { name: `produced → alert received (${TRIGGER_SIDE_RULE}), p50`, value: side.fromSent.p50, unit: 'ms', note: `p99 ${side.fromSent.p99} ms, max ${side.fromSent.max} ms (same trigger events; history lookup)` },
      { name: 'Warden /v1/alerts/status: occurred → dispatched, p50', value: wOcc.p50, unit: 'ms', note: `p99 ${wOcc.p99}, max ${wOcc.max}; ${wOcc.count} deliveries, both rules` },
      { name: 'Warden /v1/alerts/status: ingested → dispatched, p50', value: wIng.p50, unit: 'ms', note: `p99 ${wIng.p99}, max ${wIng.max}` },
      {
        name: 'event-loop delay of the Warden process during production, p99',
        value: loadDuring.loop_delay_ms.p99,
        unit: 'ms',
        note: `p50 ${loadDuring.loop_delay_ms.p50} ms, max ${loadDuring.loop_delay_ms.max} ms: every await on the path from fetch to alert can wait this long`,
      },
      {
        name: 'CPU during production: Warden process · whole machine',
        value: loadDuring.process_cores,
        unit: 'cores',
        note: `machine ${loadDuring.machine_busy_cores} of ${loadDuring.machine_cores} cores busy (producer, broker and receiver run here too)`,
      },
      threadsFigure(loadDuring, 'CPU of the Warden process by thread, during production'),
      gcFigure(loadDuring, 'GC pauses of the Warden process during production: scavenge p99'),
      { name: 'achieved produce rate', value: stats.achieved_rate, unit: 'events/s', note: `target ${RATE.toLocaleString()}; per second min ${stats.per_second.min.toLocaleString()}, ${stats.per_second.seconds_below_95pct} s below 95 %` },
      { name: 'triggers sent', value: sentTriggers, unit: 'events', note: failedTriggers > 0 ? `${failedTriggers} more failed to send` : undefined },
      { name: `alerts received (${TRIGGER_RULE})`, value: widening.received, unit: 'alerts', note: widening.missing.length > 0 ? `MISSING ${widening.missing.length}` : 'none missing' },
      { name: `alerts received (${TRIGGER_SIDE_RULE})`, value: side.received, unit: 'alerts', note: side.missing.length > 0 ? `MISSING ${side.missing.length}` : 'none missing' },
      {
        name: 'consumer lag when production ended',
        value: lagAtEnd.total,
        unit: 'messages',
        note: `committed offsets vs end offsets, ≈ ${ms((lagAtEnd.total / RATE) * 1000)} ms of traffic; Warden's own consumer_lag then: ${Object.values(wardenAtEnd.consumer_lag).reduce((a, b) => a + b, 0)}`,
      },
      { name: 'consumer lag after settling', value: lagAfter.total, unit: 'messages', note: drainedAfterS === null ? `not drained within ${SETTLE_S} s` : `drained ${ms(drainedAfterS * 1000)} ms after production ended` },
      { name: 'stored when production ended / produced', value: Math.round((wardenAtEnd.stored / stats.acked) * 1000) / 1000, unit: '', note: `${wardenAtEnd.stored.toLocaleString()} / ${stats.acked.toLocaleString()}` },
    ];
    const ratios: BenchFigure[] = [
      { name: 'alerts received / triggers sent', value: sentTriggers === 0 ? 0 : Math.round((widening.received / sentTriggers) * 1000) / 1000, unit: '', note: TRIGGER_RULE },
      { name: 'achieved / target produce rate', value: Math.round((stats.achieved_rate / RATE) * 1000) / 1000, unit: '' },
      { name: 'Warden stored rate / produce rate (during production)', value: Math.round((wardenAtEnd.stored / produceSeconds / stats.achieved_rate) * 1000) / 1000, unit: '' },
    ];
    return {
      title: `Detection latency at ${RATE.toLocaleString()} events/s over Kafka for ${DURATION_S} s (${PARTITIONS} partitions, shipped rules, one trigger every ${TRIGGER_EVERY_MS} ms)`,
      figures,
      ratios,
      context: {
        rate: RATE,
        duration_s: DURATION_S,
        warmup_s: WARMUP_S,
        broker_warmup_s: BROKER_WARMUP_S,
        trigger_every_ms: TRIGGER_EVERY_MS,
        noisy_every: NOISY_EVERY,
        partitions: PARTITIONS,
        trigger: `agent (own principal per trigger) permission.grant on a restricted drive.folder, audience 12 → 40,000, scope team → org; fires ${TRIGGER_RULE} and ${TRIGGER_SIDE_RULE}`,
        arrival: 'producer Date.now() just before the kafkajs send carrying the trigger (= its occurred_at); "ack" = that send resolved (acks=-1)',
        received: 'Date.now() in a separate receiver process when the webhook request body was complete (Warden sink → http://127.0.0.1, 204)',
        breakdown: 'alert_detections.ingested_at (batch ingest time, taken before the insert) and .received_at (dispatcher accepted the detection)',
        producer: stats,
        load_during_production: loadDuring,
        engine_writes_per_table: writes,
        latency_series_ms: { [TRIGGER_RULE]: widening.series, [TRIGGER_SIDE_RULE]: side.series },
        // Where the tail's time went: the three legs of the breakdown for the slowest alerts.
        slowest_ms: { [TRIGGER_RULE]: widening.slowest, [TRIGGER_SIDE_RULE]: side.slowest },
        missing: { [TRIGGER_RULE]: widening.missing, [TRIGGER_SIDE_RULE]: side.missing },
        repeated_deliveries: { [TRIGGER_RULE]: widening.repeats, [TRIGGER_SIDE_RULE]: side.repeats },
        unexpected_alerts: { other_rules: otherAlerts.map((a) => `${a.rule_id}:${a.principal_id}`).slice(0, 20), not_a_trigger: widening.unexpected + side.unexpected },
        lag_at_end: lagAtEnd,
        lag_after_settle: lagAfter,
        warden_alerts_status: { latency: status.latency, failed_deliveries: status.failed_deliveries.length },
        warden_ingest_metrics: {
          stored_at_end_of_production: wardenAtEnd.stored,
          consumer_lag_reported_at_end_of_production: wardenAtEnd.consumer_lag,
          stored_final: wardenFinal.stored,
          duplicates: wardenFinal.duplicates,
          received: wardenFinal.received,
          batch_size: wardenFinal.batch_size,
          insert_latency_ms: wardenFinal.insert_latency_ms,
          consumer_lag_reported: wardenFinal.consumer_lag,
          after_store_failures: wardenFinal.after_store_failures,
        },
      },
    };
  } finally {
    await warden.close();
    receiver.close();
    data.cleanup();
    await deleteTopics(brokers, [topic, `${topic}.dlq`]);
  }
}

runScenario('detection-latency', main);
