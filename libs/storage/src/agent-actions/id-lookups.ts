/**
 * How many event ids one "which of these are stored?" statement may carry.
 * The engine's cost for `event_id IN {ids:Array(String)}` is not linear in
 * the list: on a 7.6M-row table, 50,000 ids of 13 characters in one
 * statement took 5.6 s, the same ids in lookups of 25,000 or 10,000 took
 * 0.5–0.7 s in all, and longer ids reach the cliff sooner (25,000 ids of 40
 * characters: 3.7 s). Under a Kafka backlog a group commit checks 50,000
 * ids at once, and a 20-minute soak at 10,000 events/s stalled ingest for
 * up to 220 s behind one such statement while the backlog (and so the next
 * group) grew.
 */
export const MAX_IDS_PER_LOOKUP = 10_000;
/** Characters of ids per lookup: 128-character ids (the longest allowed) come 2,000 to a lookup. */
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
