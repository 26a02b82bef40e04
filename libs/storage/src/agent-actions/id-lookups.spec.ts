import { describe, expect, it } from 'vitest';
import { MAX_ID_CHARS_PER_LOOKUP, MAX_IDS_PER_LOOKUP, idLookups } from './id-lookups.js';

describe('idLookups: the ids a dedupe check sends, cut into statements the engine answers quickly', () => {
  it('sends a small set in one lookup', () => {
    expect(idLookups(['a', 'b', 'c'])).toEqual([['a', 'b', 'c']]);
  });

  it('sends nothing for no ids', () => {
    expect(idLookups([])).toEqual([]);
  });

  it('cuts a group commit of 50,000 short ids into lookups of at most 10,000, keeping every id once and in order', () => {
    const ids = Array.from({ length: 50_000 }, (_, i) => `evt-${i}`);
    const lookups = idLookups(ids);
    expect(lookups.map((l) => l.length)).toEqual([10_000, 10_000, 10_000, 10_000, 10_000]);
    expect(lookups.flat()).toEqual(ids);
    expect(MAX_IDS_PER_LOOKUP).toBe(10_000);
  });

  it('cuts long ids by their characters: 128-character ids go 2,048 to a lookup', () => {
    const ids = Array.from({ length: 5_000 }, (_, i) => `${i}`.padStart(128, 'x'));
    const lookups = idLookups(ids);
    expect(lookups.map((l) => l.length)).toEqual([2_048, 2_048, 904]);
    for (const lookup of lookups) expect(lookup.reduce((n, id) => n + id.length, 0)).toBeLessThanOrEqual(MAX_ID_CHARS_PER_LOOKUP);
    expect(lookups.flat()).toEqual(ids);
  });

  it('never splits an id: one longer than the character bound goes alone', () => {
    expect(idLookups(['aaaa', 'bbbbbbbbbb', 'cc'], { maxIds: 10, maxChars: 6 })).toEqual([['aaaa'], ['bbbbbbbbbb'], ['cc']]);
  });
});
