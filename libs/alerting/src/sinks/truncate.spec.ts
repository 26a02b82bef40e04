import { describe, expect, it } from 'vitest';
import { truncate } from './truncate.js';

describe('truncate', () => {
  it('leaves short text alone', () => {
    expect(truncate('abc', 3)).toBe('abc');
  });

  it('cuts to max characters, the last being an ellipsis', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
  });

  it('counts an emoji as one character and never splits it', () => {
    expect(truncate('🔴🔴🔴🔴', 3)).toBe('🔴🔴…');
  });
});
