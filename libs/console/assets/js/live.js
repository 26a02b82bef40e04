import { apiUrl, get } from './api.js';
import { getCredential } from './session.js';

export const POLL_INTERVAL_MS = 2000;

// Once the server has said it has no stream, this page stops asking.
let streamUnavailable = false;

/**
 * Live detections. Calls `onItems(items)` with the current list (most recent
 * first) now and whenever it may have changed; `onMode('stream' | 'polling')`
 * says how; `onError(error)` reports a failed refresh (it keeps trying).
 * Answers a function that stops it.
 *
 * It first tries the server-sent event stream GET /v1/detections/stream
 * (text/event-stream) and refetches the list on each event; when the server
 * has no stream, or the stream drops, it polls GET /v1/detections every 2 s.
 * The stream is read with fetch rather than EventSource because EventSource
 * cannot send the Authorization header, and the credential must not go in a URL.
 */
export function subscribeDetections(onItems, { query = {}, onMode = () => {}, onError = () => {}, intervalMs = POLL_INTERVAL_MS } = {}) {
  const controller = new AbortController();
  const { signal } = controller;
  let timer;

  const refresh = async () => {
    try {
      const answer = await get('/v1/detections', query, { signal });
      if (!signal.aborted) onItems(answer.items);
    } catch (error) {
      if (!signal.aborted && error?.name !== 'AbortError') onError(error);
      // 401 and 403 will not heal by themselves: stop asking.
      if (error?.status === 401 || error?.status === 403) controller.abort();
    }
  };

  const poll = async () => {
    onMode('polling');
    while (!signal.aborted) {
      await refresh();
      if (signal.aborted) return;
      await new Promise((resolve) => {
        timer = setTimeout(resolve, intervalMs);
      });
    }
  };

  const stream = async () => {
    if (streamUnavailable) return false;
    let response;
    try {
      response = await fetch(apiUrl('/v1/detections/stream', query), {
        headers: { accept: 'text/event-stream', authorization: `Bearer ${getCredential() ?? ''}` },
        credentials: 'omit',
        cache: 'no-store',
        signal,
      });
    } catch {
      return false;
    }
    if (!response.ok || !(response.headers.get('content-type') ?? '').startsWith('text/event-stream') || !response.body) {
      // A refused credential says nothing about the stream; polling will take the user to sign-in.
      if (response.status !== 401 && response.status !== 403) streamUnavailable = true;
      await response.body?.cancel().catch(() => undefined);
      return false;
    }
    onMode('stream');
    await refresh();
    try {
      for await (const _event of serverSentEvents(response.body)) {
        if (signal.aborted) break;
        await refresh();
      }
    } catch {
      // dropped: fall back to polling below
    }
    return true;
  };

  void (async () => {
    await stream();
    if (!signal.aborted) await poll();
  })();

  return () => {
    clearTimeout(timer);
    controller.abort();
  };
}

/** Yields each event (`{ event, data }`) of a text/event-stream body; comments and keep-alives are skipped. */
export async function* serverSentEvents(body) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let data = [];
  let event = 'message';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let newline;
    while ((newline = buffer.search(/\r\n|\n|\r/)) >= 0) {
      // A CR that ends the buffer may be the first half of a CRLF split across reads: wait for the next one.
      if (newline === buffer.length - 1 && buffer.endsWith('\r')) break;
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
      if (line === '') {
        if (data.length > 0) yield { event, data: data.join('\n') };
        data = [];
        event = 'message';
      } else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      else if (line.startsWith('event:')) event = line.slice(6).trim();
    }
  }
}
