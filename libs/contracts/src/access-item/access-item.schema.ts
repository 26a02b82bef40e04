import { z } from 'zod';

/**
 * One thing a principal holds on a target system: a grant, a membership, an
 * ACL entry, the right to log in. Connectors define their own item kinds;
 * the response ledger stores them without knowing what they mean. Both sides
 * use this one shape and this one identity, so "restore exactly the
 * snapshot" compares like with like.
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
