import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLICKHOUSE_CLIENT } from '@warden/storage';
import { agentAction, tempDir } from '@warden/testing';
import { http, type RunningWarden, startWarden, TEST_ADMIN_KEY } from '../support/warden-server.js';

const run = promisify(execFile);
const data = tempDir();
let warden: RunningWarden;
// Assembled at run time so the repository holds nothing that looks like a live token.
const githubToken = ['ghp', '_', 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8'].join('');
const dbUrl = `postgres://svc:${'hunter2hunter2'}@db.internal:5432/app`;

beforeAll(async () => {
  warden = await startWarden({ WARDEN_DATA_DIR: data.path });
});
afterAll(async () => {
  await warden?.close();
  data.cleanup();
});

const cli = (args: string[]) =>
  run(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../../apps/warden/src/cli.ts'), ...args], {
    env: { PATH: process.env.PATH ?? '', WARDEN_API_KEY: TEST_ADMIN_KEY, WARDEN_URL: warden.url },
  }).then(
    (r) => ({ code: 0, stdout: r.stdout }),
    (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
  );

describe('secrets never reach the log', () => {
  it('masks secrets in attributes and free text before storage, counts them, and masks rejected raw bytes too', async () => {
    const event = agentAction({
      principal: { id: 'leaky-agent' },
      action: { type: 'tool.call', name: `curl -H 'Authorization: Bearer ${githubToken}'` },
      attributes: { tool_input: { url: dbUrl }, note: 'token rotated yesterday' },
    });
    const bad = { ...agentAction({ attributes: { token: githubToken } }), outcome: 'nope' };
    expect((await http(warden.url).postEvents([event, bad])).json).toMatchObject({ accepted: 1 });

    const stored = (await http(warden.url).get(`/v1/actions/${event.event_id}`)).json.event;
    expect(JSON.stringify(stored)).not.toContain(githubToken);
    expect(JSON.stringify(stored)).not.toContain('hunter2hunter2');
    expect(stored.action.name).toContain('[REDACTED:github-token]');
    expect(stored.attributes.tool_input.url).toBe('postgres://svc:[REDACTED:url-password]@db.internal:5432/app');
    expect(stored.attributes.note).toBe('token rotated yesterday');

    const metrics = (await http(warden.url).get('/v1/ingest/metrics')).json;
    expect(metrics.redactions).toEqual({ 'github-token': 1, 'url-password': 1 });
    const rejected = (await http(warden.url).get('/v1/rejected-events')).json.items;
    expect(JSON.stringify(rejected)).not.toContain(githubToken);
  });
});

describe('tamper-evident log', () => {
  it('verifies an untouched log, then finds and locates an edited row', async () => {
    const events = Array.from({ length: 30 }, () => agentAction({ principal: { id: 'chained-agent' } }));
    for (let i = 0; i < 30; i += 10) await http(warden.url).postEvents(events.slice(i, i + 10));
    const clean = (await http(warden.url).get('/v1/audit/verify')).json;
    expect(clean).toMatchObject({ ok: true });
    expect(clean.checked_events).toBeGreaterThanOrEqual(31);
    expect((await cli(['verify'])).code).toBe(0);

    const target = events[14];
    const client = warden.app.get<ClickHouseClient>(CLICKHOUSE_CLIENT);
    await client.command({
      query: `ALTER TABLE warden.agent_actions UPDATE payload = replace(payload, '"success"', '"failure"') WHERE event_id = {id:String} SETTINGS mutations_sync = 2`,
      query_params: { id: target.event_id },
    });
    const broken = (await http(warden.url).get('/v1/audit/verify')).json;
    expect(broken.ok).toBe(false);
    expect(broken.first_break).toMatchObject({ kind: 'edited_row', event_id: target.event_id, tenant: 'default' });
    const viaCli = await cli(['verify']);
    expect(viaCli.code).toBe(1);
    expect(viaCli.stdout).toContain('edited_row');
  });
});
