import { describe, expect, it } from 'vitest';
import { ConnectorRejectedError, ConnectorUnavailableError } from '../connector.errors.js';
import { httpStatusError, isRetriableStatus } from './http-request.js';

describe('HTTP status classification', () => {
  it.each([500, 502, 503, 504, 408, 425, 429])('retries HTTP %i', (status) => {
    expect(isRetriableStatus(status)).toBe(true);
    expect(httpStatusError(status, 'op')).toBeInstanceOf(ConnectorUnavailableError);
  });

  it.each([301, 302, 400, 401, 403, 404, 409, 412, 422])('treats HTTP %i as a refusal', (status) => {
    expect(isRetriableStatus(status)).toBe(false);
    expect(httpStatusError(status, 'op')).toBeInstanceOf(ConnectorRejectedError);
  });

  it('keeps the status, the context and what the server said', () => {
    const error = httpStatusError(404, 'scim-main.restore: PATCH /Groups/7', 'Resource 7 not found', { scim_type: 'noTarget' });
    expect(error.message).toBe('scim-main.restore: PATCH /Groups/7: HTTP 404: Resource 7 not found');
    expect(error.metadata).toEqual({ status: 404, context: 'scim-main.restore: PATCH /Groups/7', scim_type: 'noTarget' });
    expect(httpStatusError(503, 'op').message).toBe('op: HTTP 503');
  });
});
