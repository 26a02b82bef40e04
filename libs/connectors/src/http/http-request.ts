import {
  ConnectorError,
  ConnectorRejectedError,
  ConnectorTimeoutError,
  ConnectorUnavailableError,
} from '../connector.errors.js';

/**
 * Client errors that still mean "not now": the request timed out on the
 * server's side, or the server asks us to slow down. Every other 4xx is a
 * refusal that repeating will not change.
 */
const RETRIABLE_CLIENT_STATUSES = new Set([408, 425, 429]);

/** Whether an HTTP status is worth another attempt: server errors and the few "come back later" client errors. */
export function isRetriableStatus(status: number): boolean {
  return status >= 500 || RETRIABLE_CLIENT_STATUSES.has(status);
}

/** The typed error for a response that is not a success. 3xx (redirects are not followed) and most 4xx are refusals. */
export function httpStatusError(
  status: number,
  context: string,
  detail?: string,
  metadata: Record<string, unknown> = {},
): ConnectorError {
  const message = `${context}: HTTP ${status}${detail ? `: ${detail}` : ''}`;
  const all = { status, context, ...metadata };
  return isRetriableStatus(status) ? new ConnectorUnavailableError(message, all) : new ConnectorRejectedError(message, all);
}

/** The socket-level code (ECONNREFUSED, ...) under the error Node's fetch reports. */
function networkCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: URL;
  headers: Record<string, string>;
  body?: string;
  /** Bound on this one request, response body included. */
  timeoutMs: number;
  /** The attempt's signal: aborted when the attempt as a whole times out. */
  signal: AbortSignal;
  /** Names the call in errors, e.g. `scim-main.revoke: PATCH /Groups/42`. */
  context: string;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  text: string;
}

/**
 * One HTTP exchange with fetch. Network failures become retriable
 * ConnectorUnavailableErrors and an expired request a ConnectorTimeoutError;
 * the status is not judged here (see httpStatusError). Redirects are not
 * followed: a credential must not travel to wherever a server points.
 */
export async function sendHttp(request: HttpRequest): Promise<HttpResponse> {
  const signal = AbortSignal.any([request.signal, AbortSignal.timeout(request.timeoutMs)]);
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      redirect: 'manual',
      signal,
    });
    return { status: response.status, headers: response.headers, text: await response.text() };
  } catch (error) {
    // The attempt's own deadline: withRetry put its typed reason on the signal.
    if (request.signal.aborted && request.signal.reason instanceof ConnectorError) throw request.signal.reason;
    if (error instanceof Error && error.name === 'TimeoutError') {
      throw new ConnectorTimeoutError(request.context, request.timeoutMs, { cause: error });
    }
    // undici's words for "no answer": the request never got one, or the connection closed mid-body.
    if (error instanceof TypeError && (error.message === 'fetch failed' || error.message === 'terminated')) {
      const code = networkCode(error.cause);
      throw new ConnectorUnavailableError(`${request.context}: ${error.message}${code ? ` (${code})` : ''}`, { code, context: request.context }, { cause: error });
    }
    throw error;
  }
}
