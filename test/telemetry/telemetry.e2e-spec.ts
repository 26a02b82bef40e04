import { createServer, type Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SpanKind, context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTelemetry, traceHeaders } from '@warden/telemetry';
import { agentAction, createTopic, ensureKafkaBroker, tempDir } from '@warden/testing';
import { produce, uniqueName } from '../support/kafka-fixtures.js';
import { eventually } from '../support/warden-process.js';
import { http, type RunningWarden, startWarden } from '../support/warden-server.js';

// Started before the app, as main.ts does, with an in-memory exporter standing in for a collector.
const spans = new InMemorySpanExporter();
startTelemetry({ env: {}, extraSpanProcessors: [new SimpleSpanProcessor(spans)] });

const data = tempDir();
const alerts: string[] = [];
let receiver: Server;
let warden: RunningWarden;
let brokers: string[];
let topic: string;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      alerts.push(body);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const address = receiver.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  writeFileSync(
    join(data.path, 'warden.yaml'),
    ['alerting:', '  console_url: http://127.0.0.1/console', '  sinks:', `    - { name: soc, type: webhook, url: 'http://127.0.0.1:${port}/', secret: telemetry-test-secret-1 }`, ''].join('\n'),
  );
  ({ brokers } = await ensureKafkaBroker());
  topic = uniqueName('otel-actions');
  await createTopic(brokers, topic, 1);
  await createTopic(brokers, `${topic}.dlq`, 1);
  warden = await startWarden({
    WARDEN_DATA_DIR: join(data.path, 'store'),
    WARDEN_CONFIG: join(data.path, 'warden.yaml'),
    WARDEN_KAFKA_BROKERS: brokers.join(','),
    WARDEN_KAFKA_TOPIC: topic,
    WARDEN_KAFKA_DLQ_TOPIC: `${topic}.dlq`,
    WARDEN_KAFKA_GROUP: uniqueName('otel'),
  });
});
afterAll(async () => {
  await warden?.close();
  await new Promise((r) => receiver.close(r));
  data.cleanup();
});

const widening = (principal: string) =>
  agentAction({
    principal: { id: principal, kind: 'human' },
    action: { type: 'permission.grant' },
    resource: { type: 'drive.folder', id: `f-${principal}`, sensitivity: 'restricted' },
    permission_change: { grantee: 'group:all', privileges: ['read'], audience_before: 10, audience_after: 10_000, scope_before: 'team', scope_after: 'org' },
  });

describe('OpenTelemetry', () => {
  it('follows one event from the producer through consume, store and detection to the alert, in one trace', async () => {
    const producerSpan = trace.getTracer('test-producer').startSpan('agent-gateway.publish', { kind: SpanKind.PRODUCER });
    const headers = context.with(trace.setSpan(context.active(), producerSpan), () => traceHeaders());
    producerSpan.end();
    const event = widening(uniqueName('traced'));
    await produce(brokers, topic, [{ key: event.principal.id, value: JSON.stringify(event), headers } as never]);
    await eventually(async () => alerts.length, (n) => n >= 1, { what: 'alert delivered' });

    const traceId = producerSpan.spanContext().traceId;
    // The alert can reach the receiver before the consume span ends (it ends after the offset commit).
    const wanted = ['kafka.consume', 'ingest.store', 'after-store.detection', 'detection.evaluate', 'alert.accept'];
    const inTrace = await eventually(
      async () => spans.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId),
      (found) => wanted.every((name) => found.some((s) => s.name === name)),
      { what: 'the whole trace', timeoutMs: 15_000 },
    );
    const byName = new Map(inTrace.map((s) => [s.name, s]));
    expect([...byName.keys()]).toEqual(expect.arrayContaining(wanted));
    const parentOf = (name: string) => (byName.get(name) as unknown as { parentSpanContext?: { spanId: string } }).parentSpanContext?.spanId;
    expect(parentOf('kafka.consume')).toBe(producerSpan.spanContext().spanId);
    expect(parentOf('ingest.store')).toBe(byName.get('kafka.consume')?.spanContext().spanId);
    expect(parentOf('detection.evaluate')).toBe(byName.get('after-store.detection')?.spanContext().spanId);
  });

  it('exposes the named series at /metrics with the values of a known workload', async () => {
    // The receiver can hold the first test's alert before Warden has counted its delivery: start from a count that includes it.
    const before = await eventually(scrape, (m) => value(m, 'warden_alert_deliveries_total', { outcome: 'delivered', sink: 'soc' }) >= 1, { what: 'first delivery counted' });
    const principal = uniqueName('metered');
    const good = [widening(principal), agentAction({ principal: { id: principal } }), agentAction({ principal: { id: principal } })];
    const res = await http(warden.url).postEvents([...good, { ...agentAction(), outcome: 'nope' }, good[1]]);
    expect(res.json).toMatchObject({ accepted: 3, duplicates: 1 });
    await eventually(async () => alerts.length, (n) => n >= 2, { what: 'second alert' });
    await eventually(scrape, (m) => value(m, 'warden_alert_deliveries_total', { outcome: 'delivered', sink: 'soc' }) >= 2, { what: 'delivery counted' });
    const after = await scrape();

    const delta = (name: string, labels: Record<string, string> = {}) => value(after, name, labels) - value(before, name, labels);
    expect(delta('warden_ingest_events_received_total', { transport: 'http' })).toBe(5);
    expect(delta('warden_ingest_events_stored_total')).toBe(3);
    expect(delta('warden_ingest_duplicates_total')).toBe(1);
    expect(delta('warden_ingest_rejected_total', { reason: 'contract', transport: 'http' })).toBe(1);
    // Detections are at-least-once (a redelivered event is evaluated again, under the same detection_id).
    expect(delta('warden_detection_detections_total', { rule: 'permission-widening-sensitive', severity: 'critical' })).toBeGreaterThanOrEqual(1);
    expect((await http(warden.url).get(`/v1/detections?principal=${principal}`)).json.items).toHaveLength(1);
    expect(delta('warden_alert_deliveries_total', { outcome: 'delivered', sink: 'soc' })).toBe(1);
    expect(value(after, 'warden_ingest_events_received_total', { transport: 'kafka' })).toBe(1);
    expect(value(after, 'warden_kafka_consumer_lag', { partition: '0', topic })).toBe(0);
    expect(value(after, 'warden_detection_latency_seconds_bucket', { le: '+Inf' })).toBe(value(after, 'warden_detection_latency_seconds_count'));
    expect(value(after, 'warden_detection_latency_seconds_count')).toBeGreaterThanOrEqual(2);
    expect(value(after, 'warden_ingest_batch_insert_duration_seconds_count')).toBeGreaterThanOrEqual(2);
    expect(value(after, 'warden_alert_latency_seconds_count', { sink: 'soc' })).toBeGreaterThanOrEqual(2);
  });

  it('reports readiness of storage and Kafka', async () => {
    expect((await http(warden.url).get('/readyz')).json).toEqual({ status: 'ready', checks: { storage: 'ok', kafka: 'ok' } });
  });
});

async function scrape(): Promise<string> {
  const res = await fetch(new URL('/metrics', warden.url));
  expect(res.status).toBe(200);
  return res.text();
}

/** The value of one series (0 when absent), matching every given label. */
function value(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const m = /^[^{ ]+(?:\{(.*)\})? ([^ ]+)/.exec(line);
    if (!m) continue;
    const have = Object.fromEntries((m[1] ?? '').split(',').filter(Boolean).map((kv) => {
      const [k, v] = kv.split('=');
      return [k, v.replace(/^"|"$/g, '')];
    }));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[2]);
  }
  return 0;
}
