/* global location */
import { getCredential } from './session.js';

/** A failed call. `problem` is the server's problem+json body (RFC 9457), or one made up for network failures. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
  }
}

let onUnauthenticated = () => {};

/** Called on any 401: the credential is missing, wrong, revoked or expired. */
export function setUnauthenticatedHandler(handler) {
  onUnauthenticated = handler;
}

/** `/v1/…` with the query's non-empty values, on this origin. */
export function apiUrl(path, query = {}) {
  const url = new URL(path, location.origin);
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(name, String(value));
  }
  return url;
}

/**
 * Calls Warden's API with `Authorization: Bearer <credential>`. Answers the
 * parsed JSON body; throws ApiError otherwise. A 401 also signs the user out
 * (unless `credential` is given explicitly, as sign-in does to test a key).
 */
export async function request(method, path, { query, body, headers = {}, signal, credential } = {}) {
  const secret = credential ?? getCredential();
  const sent = { accept: 'application/json, application/problem+json', ...headers };
  if (secret) sent.authorization = `Bearer ${secret}`;
  if (body !== undefined) sent['content-type'] = 'application/json';
  let response;
  try {
    response = await fetch(apiUrl(path, query), {
      method,
      headers: sent,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch (error) {
    if (error?.name === 'AbortError') throw error;
    throw new ApiError(0, { title: 'Network error', detail: `Cannot reach Warden (${error?.message ?? 'request failed'}).`, code: 'NETWORK' });
  }
  const text = await response.text();
  let json;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!response.ok) {
    const problem = json && typeof json === 'object' ? json : { title: response.statusText || `HTTP ${response.status}`, detail: text.slice(0, 300) || undefined };
    const error = new ApiError(response.status, { status: response.status, ...problem });
    if (response.status === 401 && credential === undefined) onUnauthenticated(error);
    throw error;
  }
  return json;
}

export const get = (path, query, options = {}) => request('GET', path, { ...options, query });
export const post = (path, body, options = {}) => request('POST', path, { ...options, body });

/** The sentence to show a person for an error: the problem's detail, then each field error. */
export function describeError(error) {
  if (error instanceof ApiError) {
    const p = error.problem;
    const lines = [p.detail ?? p.title ?? `Request failed (HTTP ${error.status}).`];
    if (Array.isArray(p.errors)) for (const e of p.errors) lines.push(`${e.path || '(request)'}: ${e.message}`);
    return lines;
  }
  return [error?.message ?? String(error)];
}
