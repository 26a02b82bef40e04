/**
 * How many event ids one "which of these are stored?" statement may carry.
 * The engine's cost for `event_id IN {ids:Array(String)}` is not linear in
 * the list. Among 2,000,000 stored events, 50,000 ids took 6,881 ms in one
 * statement and 321 ms in lookups of 10,000 (p50 of 6 each, `npm run bench
 * -- dedupe-check`). One-off probes on 7.6M events put the step between
 * 48,000 and 50,000 ids of 13 characters, and sooner for longer ids (25,000
 * ids of 40 characters: 3.7 s). Under a Kafka backlog a group commit checks
 * 50,000 ids at once: a 20-minute soak at 10,000 events/s stalled ingest for
 * 220 s behind one such statement while the backlog, and so the next group,
 * grew.
 */
export const MAX_IDS_PER_LOOKUP = 10_000;
/** Characters of ids per lookup: 128-character ids (the longest allowed) come 2,048 to a lookup. */
export const MAX_ID_CHARS_PER_LOOKUP = 256 * 1024;

/** The ids cut, in order, into lookups within both bounds; an id is never split, and no lookup is empty. */
export function idLookups(ids: readonly string[], bounds = { maxIds: MAX_IDS_PER_LOOKUP, maxChars: MAX_ID_CHARS_PER_LOOKUP }): string[][] {
  const lookups: string[][] = [];
  let current: string[] = [];
  let chars = 0;
  for (const id of ids) {
    if (current.length > 0 && (current.length >= bounds.maxIds || chars + id.length > bounds.maxChars)) {
      lookups.push(current);
      current = [];
      chars = 0;
    }
    current.push(id);
    chars += id.length;
  }
  if (current.length > 0) lookups.push(current);
  return lookups;
}
