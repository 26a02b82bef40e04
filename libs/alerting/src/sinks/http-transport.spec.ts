import { describe, expect, it } from 'vitest';
import { classifyHttpStatus } from './http-transport.js';

describe('classifying a receiver\'s answer', () => {
  it.each([200, 202, 204])('%i is delivered', (status) => {
    expect(classifyHttpStatus(status)).toEqual({ kind: 'delivered', status });
  });

  it.each([429, 500, 502, 503])('%i is retriable', (status) => {
    expect(classifyHttpStatus(status, 'busy')).toEqual({ kind: 'retriable', status, code: 'DELIVERY.UNAVAILABLE', error: `HTTP ${status}: busy` });
  });

  it.each([400, 401, 403, 404, 410])('%i is a permanent rejection', (status) => {
    expect(classifyHttpStatus(status, 'invalid_payload')).toEqual({ kind: 'rejected', status, code: 'DELIVERY.REJECTED', error: `HTTP ${status}: invalid_payload` });
  });

  it('a redirect is not followed and not retried', () => {
    expect(classifyHttpStatus(302)).toEqual({ kind: 'rejected', status: 302, code: 'DELIVERY.REDIRECTED', error: 'HTTP 302 (redirects are not followed)' });
  });

  it('keeps at most 300 characters of an error body', () => {
    const outcome = classifyHttpStatus(500, 'x'.repeat(1000));
    expect(outcome.kind === 'retriable' && outcome.error).toBe(`HTTP 500: ${'x'.repeat(300)}`);
  });
});
