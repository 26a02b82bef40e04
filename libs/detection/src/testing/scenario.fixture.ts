import { join } from 'node:path';
import type { AgentAction } from '@warden/contracts';
import { DetectionEngine } from '../engine/detection-engine.js';
import type { Detection } from '../detection/detection.schema.js';
import { InMemoryActionHistory } from '../history/in-memory-action-history.js';
import { loadRules } from '../rules/rule-loader.js';

/** Test support for scenario specs: the shipped rules, an in-memory history, batches as ingestion delivers them. */

/** The repository's `rules/` directory: what Warden ships. */
export const SHIPPED_RULES_DIR = join(import.meta.dirname, '..', '..', '..', '..', 'rules');

/** Merges streams by occurred_at (stable), as the log would interleave them. */
export function interleave(...streams: AgentAction[][]): AgentAction[] {
  return streams.flat().sort((a, b) => Date.parse(a.occurred_at) - Date.parse(b.occurred_at));
}

export async function replay(events: AgentAction[], history: AgentAction[], batchSize = 500): Promise<{ detections: Detection[]; errorCount: number }> {
  const { rules, errors } = await loadRules([SHIPPED_RULES_DIR]);
  if (errors.length > 0) throw new Error(`shipped rules do not load: ${JSON.stringify(errors)}`);
  const engine = new DetectionEngine(rules, { history: new InMemoryActionHistory().record(history) });
  const detections: Detection[] = [];
  let errorCount = 0;
  for (let i = 0; i < events.length; i += batchSize) {
    const result = await engine.evaluate(events.slice(i, i + batchSize));
    detections.push(...result.detections);
    errorCount += result.errors.reduce((n, e) => n + e.count, 0);
  }
  return { detections, errorCount };
}

/** `rule_id principal_id → how many`, sorted: what fired, at a glance. */
export function tallyByRule(detections: Detection[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const d of detections) out[`${d.rule_id} ${d.principal_id}`] = (out[`${d.rule_id} ${d.principal_id}`] ?? 0) + 1;
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}
