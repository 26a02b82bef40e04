import { z } from 'zod';

/**
 * One thing a principal holds on a target system, as the ledger stores it.
 * The response domain does not know what a Postgres grant or a Kafka ACL
 * looks like (that is the connectors' business, and the domain must not
 * depend on infrastructure); it only needs items to be serialisable and
 * comparable, so that "restore exactly the snapshot" can be checked.
 */
export const accessItemSchema = z.object({ kind: z.string().min(1).max(64) }).catchall(z.json());
export type AccessItem = z.infer<typeof accessItemSchema>;

type Json = z.infer<ReturnType<typeof z.json>>;

function canonical(value: Json): Json {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical(value[k] as Json)]),
    );
  }
  return value;
}

/** Identity of an item: its content with keys in a fixed order, so equal items have equal keys. */
export function accessItemKey(item: AccessItem): string {
  return JSON.stringify(canonical(item));
}

/** Items of `items` that are not in `minus` (by content), in their original order. */
export function itemsMinus(items: readonly AccessItem[], minus: readonly AccessItem[]): AccessItem[] {
  const excluded = new Set(minus.map(accessItemKey));
  return items.filter((i) => !excluded.has(accessItemKey(i)));
}

/** Union by content, keeping the first occurrence and the order of arrival. */
export function itemsUnion(a: readonly AccessItem[], b: readonly AccessItem[]): AccessItem[] {
  const seen = new Set<string>();
  const out: AccessItem[] = [];
  for (const item of [...a, ...b]) {
    const key = accessItemKey(item);
    if (!seen.has(key)) {
      seen.add(key);
      out.push(item);
    }
  }
  return out;
}

/** Same items, regardless of order. */
export function sameItems(a: readonly AccessItem[], b: readonly AccessItem[]): boolean {
  const ka = new Set(a.map(accessItemKey));
  const kb = new Set(b.map(accessItemKey));
  return ka.size === kb.size && [...ka].every((k) => kb.has(k));
}

/** Keys that occur more than once: a connector that reports one grant twice has a bug worth surfacing. */
export function duplicateKeys(items: readonly AccessItem[]): string[] {
  const seen = new Set<string>();
  const dups = new Set<string>();
  for (const key of items.map(accessItemKey)) {
    if (seen.has(key)) dups.add(key);
    seen.add(key);
  }
  return [...dups];
}
