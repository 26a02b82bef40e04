import type { AgentAction } from '@warden/contracts';
import type { Condition, Scalar } from './condition.schema.js';
import { fieldReader } from './field-path.js';

const COMPARE = {
  gt: (v: number, bound: number) => v > bound,
  gte: (v: number, bound: number) => v >= bound,
  lt: (v: number, bound: number) => v < bound,
  lte: (v: number, bound: number) => v <= bound,
} as const;

export type EventPredicate = (event: AgentAction) => boolean;

/**
 * Turns a validated condition into a predicate, once, at rule load: regexes
 * are compiled here and not per event. Semantics worth knowing:
 * - a field whose value is a list matches when any element matches
 *   (`permission_change.privileges: { equals: admin }`);
 * - `equals`/`in` compare strictly: `1` does not equal `"1"`;
 * - `prefix` and `regex` apply to strings only, `gt`/`gte`/`lt`/`lte` to numbers
 *   only; anything else (including an absent field) does not match;
 * - `exists: true` means present and not null.
 * Throws on a condition that did not pass `conditionSchema` (the engine
 * records that as a rule error).
 */
export function compileCondition(condition: Condition): EventPredicate {
  if (condition.all) {
    const parts = condition.all.map(compileCondition);
    return (e) => parts.every((p) => p(e));
  }
  if (condition.any) {
    const parts = condition.any.map(compileCondition);
    return (e) => parts.some((p) => p(e));
  }
  if (condition.not) {
    const inner = compileCondition(condition.not);
    return (e) => !inner(e);
  }
  const field = condition.field;
  if (field === undefined) throw new TypeError('condition has neither a field nor all/any/not');
  const test = compileValueTest(condition);
  const read = fieldReader(field);
  if (Object.hasOwn(condition, 'exists')) {
    return (e) => test(read(e));
  }
  return (e) => {
    const value = read(e);
    return Array.isArray(value) ? value.some(test) : test(value);
  };
}

function compileValueTest(c: Condition): (value: unknown) => boolean {
  if (Object.hasOwn(c, 'equals')) {
    const expected = c.equals as Scalar;
    return (v) => v === expected;
  }
  if (c.in) {
    const allowed = new Set<unknown>(c.in);
    return (v) => allowed.has(v);
  }
  if (c.prefix !== undefined) {
    const prefix = c.prefix;
    return (v) => typeof v === 'string' && v.startsWith(prefix);
  }
  if (c.regex !== undefined) {
    const re = new RegExp(c.regex, 'u');
    return (v) => typeof v === 'string' && re.test(v);
  }
  if (c.exists !== undefined) {
    const wanted = c.exists;
    return (v) => (v !== undefined && v !== null) === wanted;
  }
  for (const op of ['gt', 'gte', 'lt', 'lte'] as const) {
    const bound = c[op];
    if (bound !== undefined) return (v) => typeof v === 'number' && COMPARE[op](v, bound);
  }
  throw new TypeError(`field "${c.field}" has no operator`);
}
