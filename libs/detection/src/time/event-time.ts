import { parseRfc3339 } from '@warden/common';

/**
 * `occurred_at` → epoch milliseconds. Windows are measured in event time, never
 * wall-clock time, so a replay after a restart reaches the same decisions as
 * the live run did. Microseconds are truncated: no window is that fine.
 * Throws RangeError on a malformed timestamp (the engine records it per event).
 */
export function eventTimeMs(occurredAt: string): number {
  const i = parseRfc3339(occurredAt);
  return i.epochSeconds * 1000 + Math.floor(i.micros / 1000);
}

/** Epoch milliseconds → RFC 3339 UTC with milliseconds (what the history port receives). */
export function isoFromMs(ms: number): string {
  return new Date(ms).toISOString();
}
