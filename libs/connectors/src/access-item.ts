// The shape and identity of an item are shared by the connectors and the response ledger (see @warden/contracts).
import { type AccessItem, accessItemKey, accessItemSchema } from '@warden/contracts';

export { type AccessItem, accessItemKey, accessItemSchema };

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
