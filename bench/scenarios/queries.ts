/**
 * Query benchmark (`npm run bench -- queries`): analyst queries over N stored
 * events (default 10,000,000) with a realistic mix: a few thousand
 * principals with a long tail, mostly reads, 30 days of history. The rows
 * are generated inside the engine (INSERT … SELECT FROM numbers), then each
 * query runs through the HTTP API as a user would call it. Reports p50/p95.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { CLICKHOUSE_CLIENT } from '@warden/storage';
import { tempDir } from '@warden/testing';
import { ADMIN_AUTH, startWarden } from '../../test/support/warden-server.js';
import { ms, quantile, runScenario, type ScenarioResult } from '../scenario.js';

const N = Number(process.env.BENCH_EVENTS ?? 10_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 50);

// Principal k of 3,000 gets a share that falls off like 1/(k+1): a handful of busy agents, a long tail.
const GENERATE = `
INSERT INTO warden.agent_actions
  (tenant, event_id, occurred_at, ingested_at, principal_id, principal_kind, agent_id, action_type, resource_type, resource_id, sensitivity, outcome, source_system, payload)
WITH
  toUInt32(floor(exp(log(3001) * (cityHash64(number, 1) % 1000000) / 1000000.0))) - 1 AS p,
  concat('agent-', toString(p)) AS principal,
  multiIf(number % 100 < 70, 'data.read', number % 100 < 85, 'tool.call', number % 100 < 93, 'message.post', number % 100 < 97, 'resource.delete', number % 100 < 99, 'permission.grant', 'permission.revoke') AS action,
  now64(6) - toIntervalSecond(cityHash64(number, 2) % (30 * 86400)) AS at,
  concat('doc-', toString(cityHash64(number, 3) % 200000)) AS resource,
  toString(number) AS id
SELECT 'default', concat('gen-', id), at, now64(6), principal, 'agent', principal, action, 'drive.file', resource,
       'internal', if(number % 50 = 0, 'denied', 'success'), 'agent-gateway',
       concat('{"event_id":"gen-', id, '","schema_version":"1","occurred_at":"', formatDateTime(at, '%Y-%m-%dT%H:%i:%S.%fZ'),
              '","tenant":"default","principal":{"id":"', principal, '","kind":"agent"},"action":{"type":"', action,
              '"},"resource":{"type":"drive.file","id":"', resource, '","sensitivity":"internal"},"outcome":"success","source":{"system":"agent-gateway"}}')
FROM numbers({n:UInt64})`;

async function timeRequests(base: string, paths: string[]): Promise<{ p50: number; p95: number; max: number }> {
  const times: number[] = [];
  for (const path of paths) {
    const started = performance.now();
    const res = await fetch(new URL(path, base), { headers: ADMIN_AUTH });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { p50: ms(quantile(times, 0.5)), p95: ms(quantile(times, 0.95)), max: ms(times[times.length - 1]) };
}

async function main(): Promise<ScenarioResult> {
  const data = tempDir('warden-bench-queries-');
  const warden = await startWarden({ WARDEN_DATA_DIR: data.path, WARDEN_LOG_LEVEL: 'error', WARDEN_RATE_LIMIT_PER_MINUTE: '1000000' });
  try {
    const client = warden.app.get<ClickHouseClient>(CLICKHOUSE_CLIENT);
    console.log(`generating ${N.toLocaleString()} events in the engine …`);
    const started = performance.now();
    for (let done = 0; done < N; done += 1_000_000) {
      await client.command({ query: GENERATE, query_params: { n: Math.min(1_000_000, N - done) }, clickhouse_settings: { max_insert_threads: '2' } });
    }
    const generateSeconds = (performance.now() - started) / 1000;
    await client.command({ query: 'OPTIMIZE TABLE warden.agent_actions FINAL' }).catch(() => undefined);

    // Busy, median and tail principals, so the figures are not just the best case.
    const principals = Array.from({ length: RUNS }, (_, i) => `agent-${[0, 1, 5, 30, 300, 2500][i % 6]}`);
    const since = new Date(Date.now() - 86_400_000).toISOString();
    const history = await timeRequests(warden.url, principals.map((p) => `/v1/actions?principal=${p}&limit=100`));
    const summary = await timeRequests(warden.url, principals.map((p) => `/v1/principals/${p}/summary`));
    const prefix = await timeRequests(warden.url, principals.map(() => `/v1/actions?action=permission.&from=${encodeURIComponent(since)}&limit=100`));

    return {
      title: `Analyst queries over ${N.toLocaleString()} stored events (HTTP API, embedded engine, ${RUNS} requests each)`,
      figures: [
        { name: 'principal history page (limit 100): p50', value: history.p50, unit: 'ms' },
        { name: 'principal history page (limit 100): p95', value: history.p95, unit: 'ms', note: `max ${history.max} ms` },
        { name: 'principal summary: p50', value: summary.p50, unit: 'ms' },
        { name: 'principal summary: p95', value: summary.p95, unit: 'ms', note: `max ${summary.max} ms` },
        { name: 'prefix action filter (permission.) over 24 h: p50', value: prefix.p50, unit: 'ms' },
        { name: 'prefix action filter (permission.) over 24 h: p95', value: prefix.p95, unit: 'ms', note: `max ${prefix.max} ms` },
        { name: 'generating the events in the engine', value: Math.round(generateSeconds), unit: 's' },
      ],
      ratios: [],
      context: { events: N, requests_per_query: RUNS, principals: 3000, principal_mix: 'share ∝ 1/(k+1)' },
    };
  } finally {
    await warden.close();
    data.cleanup();
  }
}

runScenario('queries', main);
