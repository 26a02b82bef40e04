import { accessItemKey, sortAccessItems, type AccessItem } from './access-item.js';
import type { AccessChange, ItemFailure } from './connector.js';
import { InvalidAccessItemError, type ConnectorError } from './connector.errors.js';
import type { z } from 'zod';

/**
 * The outcome of a revoke or restore, from what the target says it holds
 * after the change: an item counts as applied only if the target now agrees
 * (held after a restore, gone after a revoke) and no error was reported for
 * it. `errors` are keyed by the item's index in `items`.
 */
export function readBackOutcome<Item extends AccessItem>(
  items: readonly Item[],
  errors: ReadonlyMap<number, ConnectorError>,
  after: readonly Item[],
  shouldBeHeld: boolean,
  notAppliedMessage: string,
): AccessChange<Item> {
  const held = new Set(after.map(accessItemKey));
  const applied: Item[] = [];
  const failed: ItemFailure<Item>[] = [];
  items.forEach((item, index) => {
    const error = errors.get(index);
    if (error) {
      failed.push({ item, error: { code: error.code, message: error.message } });
    } else if (held.has(accessItemKey(item)) === shouldBeHeld) {
      applied.push(item);
    } else {
      failed.push({ item, error: { code: 'CONNECTOR.NOT_APPLIED', message: notAppliedMessage } });
    }
  });
  return { applied: sortAccessItems(applied), failed };
}

/** Items without repeats (by key), first occurrence kept: a snapshot handed in twice over changes nothing twice. */
export function uniqueAccessItems<Item extends AccessItem>(items: readonly Item[]): Item[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const key = accessItemKey(item);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Items handed in from the ledger, checked against a connector's own item schema; foreign or malformed items are refused. */
export function parseAccessItems<Schema extends z.ZodType<AccessItem>>(
  connector: string,
  schema: Schema,
  items: readonly AccessItem[],
): z.output<Schema>[] {
  const parsed: z.output<Schema>[] = [];
  const issues: string[] = [];
  items.forEach((item, index) => {
    const result = schema.safeParse(item);
    if (result.success) parsed.push(result.data);
    else issues.push(...result.error.issues.map((i) => [index, ...i.path].join('.') + `: ${i.message}`));
  });
  if (issues.length > 0) throw new InvalidAccessItemError(connector, issues);
  return parsed;
}
