import { describe, expect, it } from 'vitest';
import { accessItemKey, diffAccess, sortAccessItems } from './access-item.js';

describe('access items', () => {
  it('are identified by content, whatever the key order', () => {
    expect(accessItemKey({ kind: 'x', a: 1, b: { d: 2, c: 3 } })).toBe(accessItemKey({ b: { c: 3, d: 2 }, a: 1, kind: 'x' }));
    expect(accessItemKey({ kind: 'x', grantable: true })).not.toBe(accessItemKey({ kind: 'x', grantable: false }));
  });

  it('sort into one order, so equal holdings are equal arrays', () => {
    const a = { kind: 'pg.login' };
    const b = { kind: 'pg.schema', schema: 's' };
    expect(sortAccessItems([b, a])).toEqual(sortAccessItems([a, b]));
  });

  it('diff item by item', () => {
    const keep = { kind: 'pg.schema', schema: 's', privilege: 'USAGE' };
    const gone = { kind: 'pg.login' };
    const extra = { kind: 'pg.schema', schema: 's', privilege: 'CREATE' };
    expect(diffAccess([keep, gone], [extra, keep])).toEqual({ matches: false, missing: [gone], unexpected: [extra] });
    expect(diffAccess([keep, gone], [gone, keep])).toEqual({ matches: true, missing: [], unexpected: [] });
  });
});
