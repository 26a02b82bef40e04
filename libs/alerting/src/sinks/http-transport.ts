import { DELIVERY_ERROR, type DeliveryErrorCode } from '../alerting.errors.js';
import type { SinkRequest } from './alert-sink.js';

/** The result of one attempt, classified once here so every sink retries by the same rules. */
export type HttpOutcome =
  | { kind: 'delivered'; status: number }
  | { kind: 'retriable'; status: number | null; code: DeliveryErrorCode; error: string }
  | { kind: 'rejected'; status: number; code: DeliveryErrorCode; error: string };

export interface HttpTransport {
  post(request: SinkRequest, timeoutMs: number): Promise<HttpOutcome>;
}

/** How much of a receiver's error body is kept: enough to diagnose, bounded so a chatty receiver cannot bloat the table. */
const ERROR_BODY_CHARS = 300;

/** 2xx delivered; 429 and 5xx come back later; 3xx and other 4xx will not get better by repeating. */
export function classifyHttpStatus(status: number, body = ''): HttpOutcome {
  const detail = body.trim().slice(0, ERROR_BODY_CHARS);
  const error = detail === '' ? `HTTP ${status}` : `HTTP ${status}: ${detail}`;
  if (status >= 200 && status < 300) return { kind: 'delivered', status };
  if (status === 429 || status >= 500) return { kind: 'retriable', status, code: DELIVERY_ERROR.UNAVAILABLE, error };
  if (status >= 300 && status < 400) return { kind: 'rejected', status, code: DELIVERY_ERROR.REDIRECTED, error: `${error} (redirects are not followed)` };
  return { kind: 'rejected', status, code: DELIVERY_ERROR.REJECTED, error };
}

/**
 * Describes a failed fetch without its URL: a Slack webhook URL is a
 * credential, and undici's messages name only the socket address.
 */
function networkError(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  const code = cause instanceof Error && 'code' in cause ? String(cause.code) : undefined;
  const message = cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}

/** The real transport: global fetch, one attempt, bounded by `timeoutMs`. Never throws. */
export const fetchTransport: HttpTransport = {
  async post(request, timeoutMs) {
    try {
      const response = await fetch(request.url, {
        method: 'POST',
        headers: request.headers,
        body: request.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      const body = response.ok ? '' : await response.text().catch(() => '');
      if (response.ok) await response.body?.cancel().catch(() => undefined);
      return classifyHttpStatus(response.status, body);
    } catch (error) {
      if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
        return { kind: 'retriable', status: null, code: DELIVERY_ERROR.TIMEOUT, error: `no response within ${timeoutMs} ms` };
      }
      return { kind: 'retriable', status: null, code: DELIVERY_ERROR.NETWORK, error: networkError(error) };
    }
  },
};
