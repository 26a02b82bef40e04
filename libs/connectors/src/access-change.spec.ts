import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseAccessItems, readBackOutcome, uniqueAccessItems } from './access-change.js';
import { ConnectorRejectedError } from './connector.errors.js';

const a = { kind: 'x.item', name: 'a' };
const b = { kind: 'x.item', name: 'b' };
const c = { kind: 'x.item', name: 'c' };

describe('readBackOutcome', () => {
  it('counts an item as applied only when the target agrees, and keeps reported errors', () => {
    const refused = new ConnectorRejectedError('HTTP 403: forbidden');
    const afterRevoke = [b];
    expect(readBackOutcome([a, b, c], new Map([[2, refused]]), afterRevoke, false, 'still held')).toEqual({
      applied: [a],
      failed: [
        { item: b, error: { code: 'CONNECTOR.NOT_APPLIED', message: 'still held' } },
        { item: c, error: { code: 'CONNECTOR.REJECTED', message: 'HTTP 403: forbidden' } },
      ],
    });
    expect(readBackOutcome([c, a], new Map(), [a, c], true, 'not held')).toEqual({ applied: [a, c], failed: [] });
  });
});

describe('uniqueAccessItems', () => {
  it('drops repeats by content, whatever the key order', () => {
    expect(uniqueAccessItems([a, { name: 'a', kind: 'x.item' }, b])).toEqual([a, b]);
  });
});

describe('parseAccessItems', () => {
  const schema = z.strictObject({ kind: z.literal('x.item'), name: z.string() });

  it('returns the items when all are the connector’s own', () => {
    expect(parseAccessItems('x-main', schema, [a, b])).toEqual([a, b]);
  });

  it('refuses with every issue, located by item index', () => {
    expect(() => parseAccessItems('x-main', schema, [a, { kind: 'pg.login' }, { kind: 'x.item', name: 1 }])).toThrow(
      expect.objectContaining({
        code: 'CONNECTOR.INVALID_ITEM',
        metadata: {
          connector: 'x-main',
          issues: ['1.kind: Invalid input: expected "x.item"', '1.name: Invalid input: expected string, received undefined', '2.name: Invalid input: expected string, received number'],
        },
      }),
    );
  });
});
