// The shape and identity of an item are shared by the connectors and the response ledger (see @warden/contracts).
import { type AccessItem, accessItemKey, accessItemSchema } from '@warden/contracts';

export { type AccessItem, accessItemKey, accessItemSchema };

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
