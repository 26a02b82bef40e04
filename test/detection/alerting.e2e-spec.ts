import { createServer, type Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAlertSignature } from '@warden/alerting';
import { agentAction, tempDir } from '@warden/testing';
import { eventually } from '../support/warden-process.js';
import { http, type RunningWarden, startWarden } from '../support/warden-server.js';
import type { ClickHouseClient } from '@clickhouse/client';
import { CLICKHOUSE_CLIENT, TABLE_NAMES, type TableNames } from '@warden/storage';

const SECRET = 'a-webhook-secret-for-tests';
const data = tempDir();
const received: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
let receiver: Server;
let warden: RunningWarden;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const address = receiver.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  writeFileSync(
    join(data.path, 'warden.yaml'),
    [
      'alerting:',
      '  console_url: http://127.0.0.1:8080/console',
      '  sinks:',
      `    - { name: soc-webhook, type: webhook, url: 'http://127.0.0.1:${port}/alerts', secret: ${SECRET} }`,
      '',
    ].join('\n'),
  );
  warden = await startWarden({ WARDEN_DATA_DIR: join(data.path, 'store'), WARDEN_CONFIG: join(data.path, 'warden.yaml') });
});
afterAll(async () => {
  await warden?.close();
  await new Promise((r) => receiver.close(r));
  data.cleanup();
});

/** A human opening a restricted folder from 5 people to 30,000: permission-widening-sensitive fires. */
const restrictedWidening = (principal: string, folder: string) =>
  agentAction({
    principal: { id: principal, kind: 'human' },
    action: { type: 'permission.grant' },
    resource: { type: 'drive.folder', id: folder, sensitivity: 'restricted' },
    permission_change: { grantee: 'group:all', privileges: ['read'], audience_before: 5, audience_after: 30_000, scope_before: 'team', scope_after: 'org' },
  });

describe('alerting from the ingest path', () => {
  it('a detection reaches the on-call webhook, signed, and its latency is exposed', async () => {
    const widening = agentAction({
      principal: { id: 'forum-follower', kind: 'human' },
      action: { type: 'permission.grant' },
      resource: { type: 'drive.folder', id: 'user-exports', sensitivity: 'restricted' },
      permission_change: { grantee: 'group:all', privileges: ['read'], audience_before: 12, audience_after: 40_000, scope_before: 'team', scope_after: 'org' },
    });
    expect((await http(warden.url).postEvents([widening])).json.accepted).toBe(1);
    await eventually(async () => received.length, (n) => n >= 1, { what: 'webhook alert', timeoutMs: 30_000 });
    expect(received).toHaveLength(1);
    const [call] = received;
    const verdict = verifyAlertSignature(
      SECRET,
      String(call.headers['x-warden-timestamp']),
      call.body,
      String(call.headers['x-warden-signature']),
      300,
      Date.now(),
    );
    expect(verdict).toEqual({ ok: true });
    expect(call.body).toContain('permission-widening-sensitive');
    expect(call.body).toContain('forum-follower');

    const status = (await http(warden.url).get('/v1/alerts/status')).json;
    expect(status.enabled).toBe(true);
    expect(status.failed_deliveries).toEqual([]);
    expect(status.latency.from_ingested.count).toBe(1);

    const [detection] = (await http(warden.url).get('/v1/detections?rule=permission-widening-sensitive')).json.items;
    const resolved = await http(warden.url).post(`/v1/detections/${detection.detection_id}/resolve`);
    expect(resolved.json).toMatchObject({ outcome: 'resolved', group_key: detection.group_key });
    await eventually(async () => received.length, (n) => n >= 2, { what: 'resolve notification' });
    expect(received[1].body).toContain('alert.resolved');
    expect((await http(warden.url).post(`/v1/detections/${detection.detection_id}/resolve`)).json.outcome).toBe('not_open');
  });

  it("an alert whose outbox cannot be written is owed, not dropped: it goes out once the outbox's storage is back", async () => {
    const client = warden.app.get<ClickHouseClient>(CLICKHOUSE_CLIENT);
    const table = warden.app.get<TableNames>(TABLE_NAMES).table('alert_detections');
    const widening = restrictedWidening('owed-alert-follower', 'payroll');
    const alertsFor = () => received.filter((r) => r.body.includes('owed-alert-follower'));
    // The dispatcher's read of what it already has fails while the table is away: every try, alerting's own included.
    await client.command({ query: `DETACH TABLE ${table}` });
    try {
      expect((await http(warden.url).postEvents([widening])).json.accepted).toBe(1);
      // Past alerting's own tries, and at least one more on the checkpoint timer.
      await new Promise((r) => setTimeout(r, 3_000));
      expect((await http(warden.url).get('/v1/rules')).json.counters.unstored_batches).toBeGreaterThanOrEqual(1);
      expect(alertsFor()).toHaveLength(0);
    } finally {
      await client.command({ query: `ATTACH TABLE ${table}` });
    }

    await eventually(async () => alertsFor().length, (n) => n >= 1, { what: 'the owed alert', timeoutMs: 30_000 });
    await eventually(
      async () => (await http(warden.url).get('/v1/rules')).json.counters.unstored_batches,
      (n: number) => n === 0,
      { what: 'nothing left owed' },
    );
    expect(alertsFor()).toHaveLength(1);
    expect(alertsFor()[0].body).toContain('permission-widening-sensitive');
  });

  it('a batch whose alert is owed when Warden stops is evaluated again after the restart: its alert goes out, and automation hears of it', async () => {
    const client = warden.app.get<ClickHouseClient>(CLICKHOUSE_CLIENT);
    const table = warden.app.get<TableNames>(TABLE_NAMES).table('alert_detections');
    // An agent's unconfirmed delete: an alert, and a rule that asks for automatic containment (dry run by default).
    const deletion = agentAction({
      principal: { id: 'restart-deleter' },
      action: { type: 'resource.delete', confirmation: { required: true, obtained: false } },
      resource: { type: 'email.message', id: 'msg-1' },
    });
    const alertsFor = () => received.filter((r) => r.body.includes('restart-deleter'));
    const automationFor = async () =>
      ((await http(warden.url).get('/v1/containments/automation')).json.items as { candidate: { principal: string } }[]).filter((d) => d.candidate.principal === 'restart-deleter');
    await client.command({ query: `DETACH TABLE ${table}` });
    expect((await http(warden.url).postEvents([deletion])).json.accepted).toBe(1);
    await eventually(async () => (await http(warden.url).get('/v1/rules')).json.counters.unstored_batches, (n: number) => n >= 1, { what: 'owed' });
    await warden.close();
    // A detach does not outlive the engine: the table is back after the restart.
    warden = await startWarden({ WARDEN_DATA_DIR: join(data.path, 'store'), WARDEN_CONFIG: join(data.path, 'warden.yaml') });
    await eventually(async () => alertsFor().length, (n) => n >= 1, { what: 'the alert from the catch-up', timeoutMs: 30_000 });
    expect(alertsFor()).toHaveLength(1);
    // Decisions are kept in memory: this one was made since the restart, by the catch-up.
    expect((await automationFor()).map((d) => d.candidate.principal)).toEqual(['restart-deleter']);
  });

  it('an alert the catch-up after a restart cannot hand over is owed too: it goes out once the outbox is back', async () => {
    const client = () => warden.app.get<ClickHouseClient>(CLICKHOUSE_CLIENT);
    const table = warden.app.get<TableNames>(TABLE_NAMES).table('alert_detections');
    const widening = restrictedWidening('catch-up-follower', 'legal');
    const alertsFor = () => received.filter((r) => r.body.includes('catch-up-follower'));
    const owed = async () => (await http(warden.url).get('/v1/rules')).json.counters.unstored_batches as number;
    // Gone for good this time: the table is still missing when Warden starts again.
    await client().command({ query: `DETACH TABLE ${table} PERMANENTLY` });
    try {
      expect((await http(warden.url).postEvents([widening])).json.accepted).toBe(1);
      await eventually(owed, (n) => n >= 1, { what: 'owed before the stop' });
      await warden.close();
      warden = await startWarden({ WARDEN_DATA_DIR: join(data.path, 'store'), WARDEN_CONFIG: join(data.path, 'warden.yaml') });
      expect(await owed()).toBeGreaterThanOrEqual(1);
      expect(alertsFor()).toHaveLength(0);
    } finally {
      await client().command({ query: `ATTACH TABLE ${table}` });
    }
    await eventually(async () => alertsFor().length, (n) => n >= 1, { what: 'the owed alert of the catch-up', timeoutMs: 30_000 });
    await eventually(owed, (n) => n === 0, { what: 'nothing left owed' });
    expect(alertsFor()).toHaveLength(1);
  });
});
