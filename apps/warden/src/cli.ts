#!/usr/bin/env -S node --max-semi-space-size=128
import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { ConfigError, type WardenConfig, loadConfig } from '@warden/config';
import { produceLines } from './produce.js';
import { serve } from './main.js';

const program = new Command()
  .name('warden')
  .description('Audit and incident response for AI agents')
  .showHelpAfterError();

program
  .command('serve')
  .description('run Warden (HTTP API and ingest) with the settings in WARDEN_* variables')
  .action(async () => {
    await serve();
  });

program
  .command('ingest')
  .description('post the events of an NDJSON file to a running Warden and print what it accepted')
  .argument('<file>', 'NDJSON file, one event per line')
  .option('--url <url>', 'Warden to post to (default: WARDEN_URL, or http://127.0.0.1:8080)')
  .option('--api-key <key>', 'credential to send as a bearer token (default: WARDEN_API_KEY)')
  .action(async (file: string, options: { url?: string; apiKey?: string }) => {
    const base = options.url ?? configuredUrl();
    const body = await readFile(file);
    const headers: Record<string, string> = { 'content-type': 'application/x-ndjson' };
    const key = options.apiKey ?? process.env.WARDEN_API_KEY;
    if (key) headers.authorization = `Bearer ${key}`;
    const response = await fetch(new URL('/v1/events', base), { method: 'POST', headers, body });
    const text = await response.text();
    if (response.status !== 202) {
      process.stderr.write(`warden ingest: ${response.status} ${text}\n`);
      process.exitCode = 1;
      return;
    }
    const result = JSON.parse(text) as { accepted: number; duplicates: number; rejected: { index: number; event_id?: string; errors: { path: string; message: string }[] }[] };
    process.stdout.write(`accepted ${result.accepted}, duplicates ${result.duplicates}, rejected ${result.rejected.length}\n`);
    for (const r of result.rejected) {
      const what = r.errors.map((e) => `${e.path || '(event)'}: ${e.message}`).join('; ');
      process.stdout.write(`  line ${r.index + 1}${r.event_id ? ` (${r.event_id})` : ''}: ${what}\n`);
    }
    if (result.rejected.length > 0) process.exitCode = 2;
  });

program
  .command('produce')
  .description('publish the events of an NDJSON file to the Kafka topic, keyed by principal id')
  .argument('<file>', 'NDJSON file, one event per line (lines are sent as they are, valid or not)')
  .option('--brokers <list>', 'host:port[,host:port] (default: WARDEN_KAFKA_BROKERS)')
  .option('--topic <topic>', 'topic (default: WARDEN_KAFKA_TOPIC, or agent-actions)')
  .action(async (file: string, options: { brokers?: string; topic?: string }) => {
    const config = configOrExit();
    const brokers = options.brokers?.split(',') ?? config.kafka?.brokers;
    if (!brokers) {
      process.stderr.write('warden produce: no brokers: pass --brokers or set WARDEN_KAFKA_BROKERS\n');
      process.exitCode = 78;
      return;
    }
    const topic = options.topic ?? config.kafka?.topic ?? 'agent-actions';
    const lines = (await readFile(file, 'utf8')).split('\n').filter((l) => l.trim() !== '');
    const sent = await produceLines(brokers, topic, lines, config.kafka?.sasl);
    process.stdout.write(`produced ${sent} messages to ${topic}\n`);
  });

async function callWarden(method: string, path: string, body: unknown, extraHeaders: Record<string, string> = {}): Promise<unknown> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...extraHeaders };
  const key = process.env.WARDEN_API_KEY;
  if (key) headers.authorization = `Bearer ${key}`;
  if (body === undefined) delete headers['content-type'];
  const response = await fetch(new URL(path, configuredUrl()), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  if (response.status >= 300) {
    process.stderr.write(`warden: ${response.status} ${text}\n`);
    process.exit(1);
  }
  return JSON.parse(text);
}

program
  .command('contain')
  .description('cut a principal\'s access in every configured connector (snapshot first, so it can be rolled back)')
  .argument('<principal>', 'principal id')
  .requiredOption('--reason <text>', 'why: recorded in the audit trail')
  .option('--incident <id>', 'incident id')
  .option('--connectors <list>', 'comma-separated connector names (default: all)')
  .option('--idempotency-key <key>', 'repeat a request safely (default: a new UUID)')
  .option('--preview', 'show what would be revoked, revoke nothing')
  .action(async (principal: string, o: { reason: string; incident?: string; connectors?: string; idempotencyKey?: string; preview?: boolean }) => {
    const result = await callWarden(
      'POST',
      '/v1/containments',
      { principal, reason: o.reason, incident_id: o.incident, connectors: o.connectors ? o.connectors.split(',') : 'all', preview: Boolean(o.preview) },
      { 'idempotency-key': o.idempotencyKey ?? crypto.randomUUID() },
    );
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  });

program
  .command('rollback')
  .description('roll a containment back: restore exactly what was snapshotted')
  .argument('<containment-id>', 'ctn_…')
  .requiredOption('--reason <text>', 'why: recorded in the audit trail')
  .action(async (id: string, o: { reason: string }) => {
    const result = await callWarden('POST', `/v1/containments/${encodeURIComponent(id)}/rollback`, { reason: o.reason });
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  });

program
  .command('verify')
  .description("check the tamper-evident chain of the API key's tenant (exit 1 on a break)")
  .option('--from <rfc3339>', 'batches stored at or after')
  .option('--to <rfc3339>', 'batches stored before')
  .action(async (o: { from?: string; to?: string }) => {
    const query = new URLSearchParams(Object.entries(o).filter(([, v]) => v !== undefined) as [string, string][]);
    const result = (await callWarden('GET', `/v1/audit/verify?${query}`, undefined)) as { ok: boolean };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    if (!result.ok) process.exitCode = 1;
  });

const keys = program.command('keys').description('API keys (needs an admin key in WARDEN_API_KEY)');
keys
  .command('create')
  .description('create a key; it is printed once')
  .requiredOption('--role <role>', 'ingest | analyst | responder | admin')
  .option('--tenant <tenant>', "tenant (default: the admin key's own)")
  .option('--name <name>', 'what the key is for', 'created with the CLI')
  .action(async (o: { role: string; tenant?: string; name: string }) => {
    const created = (await callWarden('POST', '/v1/keys', { role: o.role, tenant: o.tenant, name: o.name })) as { key: string; id: string; tenant: string; role: string };
    process.stdout.write(`${created.key}\n`);
    process.stderr.write(`created key ${created.id} (${created.role}, tenant ${created.tenant}); it will not be shown again\n`);
  });
keys
  .command('list')
  .description("list the tenant's keys by prefix")
  .action(async () => {
    const { items } = (await callWarden('GET', '/v1/keys', undefined)) as { items: { prefix: string; role: string; name: string; revoked_at: string | null }[] };
    for (const k of items) process.stdout.write(`${k.prefix}…  ${k.role.padEnd(9)}  ${k.revoked_at ? 'revoked' : 'active '}  ${k.name}\n`);
  });
keys
  .command('revoke')
  .argument('<id>', 'key id (the 12 hex characters after wdn_)')
  .action(async (id: string) => {
    await callWarden('DELETE', `/v1/keys/${encodeURIComponent(id)}`, undefined);
    process.stdout.write(`revoked ${id}\n`);
  });

function configuredUrl(): string {
  return configOrExit().url;
}

function configOrExit(): WardenConfig {
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`warden: ${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
}

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`warden: ${(error as Error).message}\n`);
  process.exit(1);
});
