import { DomainError } from '@warden/common';

/** Position after the last item of a page, in the newest-first order (occurred_at, event_id). */
export interface ActionCursor {
  occurredAt: string;
  eventId: string;
}

export class InvalidCursorError extends DomainError {
  readonly code = 'QUERY.INVALID_CURSOR';
  constructor() {
    super('cursor is not one this server issued; start again without a cursor');
  }
}

const CH_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/;

export function encodeCursor(c: ActionCursor): string {
  return Buffer.from(JSON.stringify([c.occurredAt, c.eventId]), 'utf8').toString('base64url');
}

export function decodeCursor(token: string): ActionCursor {
  try {
    const value: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'string' &&
      CH_TIME.test(value[0]) &&
      typeof value[1] === 'string' &&
      value[1].length > 0
    ) {
      return { occurredAt: value[0], eventId: value[1] };
    }
  } catch {
    // fall through: any undecodable token is the same error to the caller
  }
  throw new InvalidCursorError();
}
