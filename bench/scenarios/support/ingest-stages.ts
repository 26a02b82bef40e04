/**
 * CPU per event of each JavaScript step of the ingest path, run in this
 * thread on bench events, without Kafka or storage: what bounds Warden when
 * the engine is not the limit. CPU time (process.cpuUsage), not wall time, so
 * a busy machine inflates it less; garbage collection lands on whichever step
 * triggers it. The last of three rounds is reported (the first ones warm the JIT).
 */
import { DetectionEngine, InMemoryActionHistory, loadRules, shippedRulesDir } from '@warden/detection';
import { batchDigest, digestInputFromRow } from '@warden/integrity';
import { decodeMessage, validateBatch } from '@warden/ingestion';
import { toAgentActionRow } from '@warden/storage';
import { benchEvent } from './events.js';

export interface StageCost {
  stage: string;
  /** CPU microseconds per event. */
  micros: number;
}

export async function measureIngestStages(n = 50_000, chunk = 5_000): Promise<StageCost[]> {
  const tag = `stages${Date.now().toString(36)}`;
  const values = Array.from({ length: n }, (_, i) => Buffer.from(JSON.stringify(benchEvent(i, tag))));
  const rules = await loadRules([shippedRulesDir()]);
  const engine = new DetectionEngine(rules.rules, { history: new InMemoryActionHistory() });
  const cpuMs = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  let totals = new Map<string, number>();
  const stage = async <T>(name: string, step: () => T | Promise<T>): Promise<T> => {
    const started = cpuMs();
    const result = await step();
    totals.set(name, (totals.get(name) ?? 0) + cpuMs() - started);
    return result;
  };
  for (let round = 0; round < 3; round++) {
    totals = new Map();
    for (let i = 0; i < n; i += chunk) {
      const messages = values.slice(i, i + chunk);
      const decoded = await stage('decode (bytes → JSON)', () => messages.flatMap((v) => {
        const d = decodeMessage(v);
        return d.ok ? [d.event] : [];
      }));
      const validated = await stage('validate, normalise, redact', () => validateBatch(decoded));
      const rows = await stage('row with canonical payload', () => validated.events.map((e) => toAgentActionRow(e, '')));
      const inputs = await stage('event hash (SHA-256 of the payload)', () => rows.map(digestInputFromRow));
      await stage('batch digest', () =>
        batchDigest({
          tenant: 'default',
          seq: 1,
          prev_digest: '0'.repeat(64),
          ingested_at: '2026-11-24 00:00:00.000000',
          events: inputs.map((x) => ({ event_id: x.event_id, occurred_at: x.occurred_at, hash: x.hash ?? '' })),
        }),
      );
      // Every event is judged and none may fire here: the hint's cost without its early exit.
      await stage('urgency hint (shipped rules: may a rule fire?)', () => engine.mayFireOn(validated.events));
      await stage('insert body (JSONCompactEachRow text)', () => rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
      await stage('detection (shipped rules)', () => engine.evaluate(validated.events));
    }
  }
  return [...totals].map(([name, ms]) => ({ stage: name, micros: Math.round((ms * 10_000) / n) / 10 }));
}
