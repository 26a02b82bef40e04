import { createHash } from 'node:crypto';

const digest = (parts: unknown[]): string => createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);

/** Deterministic, so reprocessing a detection after a crash lands on the same alert. */
export function alertIdFor(groupKey: string, episode: number): string {
  return digest(['alert', groupKey, episode]);
}

/**
 * PagerDuty's dedup_key: one per group (not per alert), so a storm that
 * outlives a throttle window updates one incident instead of paging again.
 * Hashed because group keys can exceed PagerDuty's 255 characters.
 */
export function dedupKeyFor(groupKey: string): string {
  return `warden-${digest(['group', groupKey])}`;
}

/**
 * One delivery per (detection or resolve, sink). Deterministic, so enqueuing
 * the same notification twice (a redelivered detection) is recognised.
 */
export function deliveryIdFor(sink: string, action: 'trigger' | 'resolve', subject: string): string {
  return digest(['delivery', sink, action, subject]);
}
