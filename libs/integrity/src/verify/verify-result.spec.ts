import { describe, expect, it } from 'vitest';
import { InvalidVerifyQueryError } from '../integrity.errors.js';
import { parseVerifyQuery } from './verify-result.js';

function refusal(input: unknown): InvalidVerifyQueryError {
  try {
    parseVerifyQuery(input);
  } catch (error) {
    if (error instanceof InvalidVerifyQueryError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('a verify query (CLI flags, HTTP query)', () => {
  it('takes an optional tenant and an optional [from, to) window of ingest time', () => {
    expect(parseVerifyQuery({})).toEqual({});
    expect(parseVerifyQuery({ tenant: 'acme', from: '2026-11-24T00:00:00Z', to: '2026-11-25T00:00:00+01:00' })).toEqual({
      tenant: 'acme',
      from: '2026-11-24T00:00:00Z',
      to: '2026-11-25T00:00:00+01:00',
    });
  });

  it('refuses a window that ends before it starts, naming to', () => {
    const error = refusal({ from: '2026-11-25T00:00:00Z', to: '2026-11-24T00:00:00Z' });
    expect(error.code).toBe('INTEGRITY.INVALID_QUERY');
    expect(error.issues).toEqual([{ path: 'to', message: 'from must be before to' }]);
  });

  it('refuses a timestamp without offset and an unknown parameter, naming each', () => {
    expect(refusal({ from: '2026-11-24 00:00', limit: 5 }).issues.map((i) => i.path).sort()).toEqual(['from', 'limit']);
  });
});
