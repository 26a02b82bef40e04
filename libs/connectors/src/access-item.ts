import { z } from 'zod';

/**
 * One thing a principal holds on a target system: a grant, a membership, an
 * ACL entry, the right to log in. Every connector defines its own items (a
 * zod discriminated union on `kind`); all of them are plain JSON, so they can
 * be stored in the response ledger and compared item by item.
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

/** Identity of an item: its content with keys in a fixed order. Two items are the same grant iff their keys are equal. */
export function accessItemKey(item: AccessItem): string {
  return JSON.stringify(canonical(item));
}

/** Items in a stable order (by key), so snapshots of the same holdings are equal arrays. */
export function sortAccessItems<T extends AccessItem>(items: readonly T[]): T[] {
  return items
    .map((item) => [accessItemKey(item), item] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, item]) => item);
}

export interface AccessDiff<Item extends AccessItem = AccessItem> {
  /** True when actual holdings are exactly the expected ones. */
  readonly matches: boolean;
  /** Expected but not held. */
  readonly missing: Item[];
  /** Held but not expected. */
  readonly unexpected: Item[];
}

export function diffAccess<Item extends AccessItem>(expected: readonly Item[], actual: readonly Item[]): AccessDiff<Item> {
  const expectedKeys = new Set(expected.map(accessItemKey));
  const actualKeys = new Set(actual.map(accessItemKey));
  const missing = sortAccessItems(expected.filter((i) => !actualKeys.has(accessItemKey(i))));
  const unexpected = sortAccessItems(actual.filter((i) => !expectedKeys.has(accessItemKey(i))));
  return { matches: missing.length === 0 && unexpected.length === 0, missing, unexpected };
}
