import { DomainError } from '@warden/common';

/** One event as decoded from a request or message, before validation. */
export interface DecodedEvent {
  value: unknown;
  /** The event's own bytes as received (NDJSON line) or as re-serialised (array element). */
  raw: string;
}

export const BATCH_MAX_EVENTS = 10_000;
export const BATCH_MAX_BYTES = 8 * 1024 * 1024;

export class MalformedBatchError extends DomainError {
  readonly code = 'INGEST.MALFORMED_JSON';
  constructor(message: string, readonly location: { line?: number; offset?: number }) {
    super(message, location);
  }
}

export class BatchTooLargeError extends DomainError {
  readonly code = 'INGEST.BATCH_TOO_LARGE';
  constructor(readonly count: number) {
    super(`batch holds ${count} events; at most ${BATCH_MAX_EVENTS} are allowed per request`, { count });
  }
}

export class NotAnArrayError extends DomainError {
  readonly code = 'INGEST.NOT_AN_ARRAY';
  constructor() {
    super('expected a JSON array of events (or send application/x-ndjson, one event per line)');
  }
}

function positionOf(error: unknown): number | undefined {
  const m = /position (\d+)/.exec((error as Error).message);
  return m ? Number(m[1]) : undefined;
}

/** A parsed JSON body → events. Each element is re-serialised once, for its size and the rejected-events table. */
export function decodeJsonArray(body: unknown): DecodedEvent[] {
  if (!Array.isArray(body)) throw new NotAnArrayError();
  if (body.length > BATCH_MAX_EVENTS) throw new BatchTooLargeError(body.length);
  return body.map((value: unknown) => ({ value, raw: JSON.stringify(value) ?? 'null' }));
}

/** One JSON value per line; blank lines are allowed. A syntax error names the line (1-based). */
export function decodeNdjson(body: string): DecodedEvent[] {
  const events: DecodedEvent[] = [];
  const lines = body.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i];
    if (raw.trim() === '') continue;
    if (events.length === BATCH_MAX_EVENTS) {
      throw new BatchTooLargeError(lines.filter((l) => l.trim() !== '').length);
    }
    try {
      events.push({ value: JSON.parse(raw), raw });
    } catch (error) {
      throw new MalformedBatchError(`malformed JSON on line ${i + 1}: ${(error as Error).message}`, {
        line: i + 1,
        offset: positionOf(error),
      });
    }
  }
  return events;
}
