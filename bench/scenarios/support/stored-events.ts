import { instantFromDate } from '@warden/common';
import { type AgentActionRepository, toAgentActionRow } from '@warden/storage';
import { benchEvent } from './events.js';

// Apart from events.ts: the producer's child process imports that one, and must not load the engine.
/** Stores bench events 0 … count−1 as the ingest path writes them, 10,000 to an insert; resolves with the seconds it took. */
export async function storeBenchEvents(repo: AgentActionRepository, count: number, tag: string): Promise<number> {
  const rowsPerInsert = 10_000;
  const now = instantFromDate(new Date());
  const started = performance.now();
  for (let i = 0; i < count; i += rowsPerInsert) {
    await repo.insert(Array.from({ length: Math.min(rowsPerInsert, count - i) }, (_, k) => toAgentActionRow(benchEvent(i + k, tag), now)));
  }
  return (performance.now() - started) / 1000;
}
