import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentAction, tempDir } from '@warden/testing';
import { asMessages, produce, uniqueName } from '../support/kafka-fixtures.js';
import { eventually } from '../support/warden-process.js';
import { ADMIN_AUTH, http, type RunningWarden, startWarden } from '../support/warden-server.js';
import { createTopic, ensureKafkaBroker } from '@warden/testing';
import type { ClickHouseClient } from '@clickhouse/client';
import { CLICKHOUSE_CLIENT, TABLE_NAMES, type TableNames } from '@warden/storage';

const data = tempDir();
const extraRules = join(data.path, 'extra-rules');
let brokers: string[];
let topic: string;
let warden: RunningWarden;
const env = () => ({
  WARDEN_DATA_DIR: join(data.path, 'store'),
  WARDEN_RULES_DIRS: extraRules,
  WARDEN_KAFKA_BROKERS: brokers.join(','),
  WARDEN_KAFKA_TOPIC: topic,
  WARDEN_KAFKA_DLQ_TOPIC: `${topic}.dlq`,
  WARDEN_KAFKA_GROUP: uniqueName('detect'),
});

beforeAll(async () => {
  mkdirSync(extraRules, { recursive: true });
  ({ brokers } = await ensureKafkaBroker());
  topic = uniqueName('detect-actions');
  await createTopic(brokers, topic, 3);
  await createTopic(brokers, `${topic}.dlq`, 1);
  warden = await startWarden(env());
});
afterAll(async () => {
  await warden?.close();
  data.cleanup();
});

const detections = (query: string) => http(warden.url).get(`/v1/detections?${query}`).then((r) => r.json.items as any[]);

const unconfirmedDelete = (principal: string, i: number, base = Date.UTC(2026, 10, 24, 9)) =>
  agentAction({
    principal: { id: principal },
    action: { type: 'resource.delete', confirmation: { required: true, obtained: false } },
    resource: { type: 'email.message', id: `msg-${i}` },
    occurred_at: new Date(base + i * 1000).toISOString(),
  });

describe('detection inside the ingest path', () => {
  it('flags an inbox deletion posted over HTTP: each unconfirmed delete, and one burst at the 20th', async () => {
    const principal = uniqueName('inbox-agent');
    const deletes = Array.from({ length: 25 }, (_, i) => unconfirmedDelete(principal, i));
    expect((await http(warden.url).postEvents(deletes)).json.accepted).toBe(25);

    const burst = await detections(`rule=mass-deletion-burst&principal=${principal}`);
    expect(burst).toHaveLength(1);
    expect(burst[0]).toMatchObject({ severity: 'high', count: 20, trigger_event_id: deletes[19].event_id, principal_id: principal });
    expect(burst[0].evidence_event_ids).toEqual(deletes.slice(0, 20).map((e) => e.event_id));
    expect(await detections(`rule=destructive-action-without-confirmation&principal=${principal}`)).toHaveLength(25);

    const one = await http(warden.url).get(`/v1/detections/${burst[0].detection_id}`);
    expect(one.json.evidence).toHaveLength(20);
  });

  it('flags a sudden widening arriving over Kafka, and not the same change on a public resource', async () => {
    const principal = uniqueName('engineer');
    const widen = (sensitivity: 'restricted' | 'public') =>
      agentAction({
        principal: { id: principal, kind: 'human' },
        action: { type: 'permission.grant' },
        resource: { type: 'drive.folder', id: `users-${sensitivity}`, sensitivity },
        permission_change: { grantee: 'group:everyone', privileges: ['read'], audience_before: 12, audience_after: 40_000, scope_before: 'team', scope_after: 'org' },
      });
    const risky = widen('restricted');
    await produce(brokers, topic, asMessages([widen('public'), risky]));
    const found = await eventually(() => detections(`principal=${principal}`), (d) => d.length >= 1, { what: 'widening detected' });
    expect(found.map((d) => [d.rule_id, d.trigger_event_id])).toEqual([['permission-widening-sensitive', risky.event_id]]);
    expect(found[0].severity).toBe('critical');
  });

  it('raises nothing on ordinary reads', async () => {
    const principal = uniqueName('reader');
    const reads = Array.from({ length: 50 }, () => agentAction({ principal: { id: principal } }));
    expect((await http(warden.url).postEvents(reads)).json.accepted).toBe(50);
    expect(await detections(`principal=${principal}`)).toEqual([]);
  });

  it('keeps a burst window across a restart: 15 deletes before, 5 after → one burst', async () => {
    const principal = uniqueName('restart-agent');
    const deletes = Array.from({ length: 20 }, (_, i) => unconfirmedDelete(principal, i, Date.UTC(2026, 10, 24, 11)));
    await http(warden.url).postEvents(deletes.slice(0, 15));
    await warden.close();
    warden = await startWarden(env());
    await http(warden.url).postEvents(deletes.slice(15));
    const burst = await detections(`rule=mass-deletion-burst&principal=${principal}`);
    expect(burst.map((d) => [d.count, d.trigger_event_id])).toEqual([[20, deletes[19].event_id]]);
  });

  it('keeps a detection whose write failed: it is written again once storage is back', async () => {
    const client = warden.app.get<ClickHouseClient>(CLICKHOUSE_CLIENT);
    const table = warden.app.get<TableNames>(TABLE_NAMES).table('detections');
    const principal = uniqueName('unstored-agent');
    const deletion = unconfirmedDelete(principal, 0, Date.UTC(2026, 10, 24, 12));
    // The detections table is gone for a while: every write to it fails, retries included.
    await client.command({ query: `DETACH TABLE ${table}` });
    try {
      expect((await http(warden.url).postEvents([deletion])).json.accepted).toBe(1);
      const metrics = (await http(warden.url).get('/v1/ingest/metrics')).json;
      expect(metrics.after_store_failures.detection).toBeGreaterThanOrEqual(1);
      // An operator sees what is waiting to be written.
      expect((await http(warden.url).get('/v1/rules')).json.counters.unstored_batches).toBeGreaterThanOrEqual(1);
    } finally {
      await client.command({ query: `ATTACH TABLE ${table}` });
    }

    const found = await eventually(() => detections(`principal=${principal}`), (d) => d.length >= 1, { what: 'the detection written after storage came back' });
    expect(found.map((d) => [d.rule_id, d.trigger_event_id])).toEqual([['destructive-action-without-confirmation', deletion.event_id]]);
    const counters = await eventually(
      async () => (await http(warden.url).get('/v1/rules')).json.counters,
      (c: { unstored_batches: number; write_retries: number }) => c.unstored_batches === 0,
      { what: 'no batch left unstored' },
    );
    expect(counters.write_retries).toBeGreaterThanOrEqual(1);
  });

  it('writes a batch a rule may fire on without waiting out the write pacing, so its alert is not held back by it', async () => {
    const intervalMs = 10_000;
    await warden.close();
    warden = await startWarden({ ...env(), WARDEN_INGEST_MIN_WRITE_INTERVAL_MS: String(intervalMs) });
    try {
      const principal = uniqueName('paced-engineer');
      await http(warden.url).postEvents([agentAction({ principal: { id: principal } })]);
      const widening = agentAction({
        principal: { id: principal, kind: 'human' },
        action: { type: 'permission.grant' },
        resource: { type: 'drive.folder', id: 'board-minutes', sensitivity: 'restricted' },
        permission_change: { grantee: 'group:everyone', privileges: ['read'], audience_before: 12, audience_after: 40_000, scope_before: 'team', scope_after: 'org' },
      });
      // Right after a write: paced, this batch would wait the whole interval.
      const posted = http(warden.url).postEvents([widening]);
      const answer = await Promise.race([posted, new Promise((r) => setTimeout(() => r('still waiting for the pacing'), intervalMs / 2))]);
      expect(answer).toMatchObject({ json: { accepted: 1 } });
      expect((await detections(`principal=${principal}`)).map((d) => d.rule_id)).toEqual(['permission-widening-sensitive']);
      expect((await http(warden.url).get('/v1/ingest/metrics')).json.urgent_batches).toBe(1);
    } finally {
      await warden.close();
      warden = await startWarden(env());
    }
  });

  it('lists loaded rules, reports a broken rule file by file, rule id and path, and reloads without a restart', async () => {
    const before = (await http(warden.url).get('/v1/rules')).json;
    expect(before.rules.map((r: { id: string }) => r.id)).toContain('mass-deletion-burst');
    expect(before.errors).toEqual([]);

    writeFileSync(join(extraRules, 'broken.yaml'), 'id: too-many-denials\ntitle: x\nseverity: apocalyptic\nrationale: r\nkind: match\nparams:\n  when: { field: outcome, equals: denied }\n');
    writeFileSync(
      join(extraRules, 'tool-call-denied.yaml'),
      'id: tool-call-denied\ntitle: Denied tool call\nseverity: low\nrationale: Shows up in tests.\nkind: match\nparams:\n  when:\n    all:\n      - { field: action.type, equals: tool.call }\n      - { field: outcome, equals: denied }\n',
    );
    const reloaded = (await http(warden.url).post('/v1/rules/reload')).json;
    expect(reloaded.rules.map((r: { id: string }) => r.id)).toContain('tool-call-denied');
    expect(reloaded.errors).toEqual([
      expect.objectContaining({ file: join(extraRules, 'broken.yaml'), rule_id: 'too-many-denials', path: 'severity' }),
    ]);

    const principal = uniqueName('tooler');
    const denied = agentAction({ principal: { id: principal }, action: { type: 'tool.call' }, outcome: 'denied' });
    await http(warden.url).postEvents([denied]);
    expect((await detections(`rule=tool-call-denied&principal=${principal}`)).map((d) => d.trigger_event_id)).toEqual([denied.event_id]);
  });
});

describe('live detections', () => {
  it("streams each new detection of the caller's tenant as a server-sent event", async () => {
    const controller = new AbortController();
    const res = await fetch(new URL('/v1/detections/stream', warden.url), { headers: ADMIN_AUTH, signal: controller.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    const principal = uniqueName('streamed');
    const deletion = unconfirmedDelete(principal, 0, Date.UTC(2026, 10, 24, 13));
    await http(warden.url).postEvents([deletion]);
    let text = '';
    while (!text.includes('event: detection')) text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    const data = JSON.parse(/data: (.*)\n/.exec(text)![1]);
    expect(data).toMatchObject({ rule_id: 'destructive-action-without-confirmation', principal_id: principal, trigger_event_id: deletion.event_id });
  });
});
