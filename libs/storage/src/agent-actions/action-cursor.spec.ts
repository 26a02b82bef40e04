import { describe, expect, it } from 'vitest';
import { InvalidCursorError, decodeCursor, encodeCursor } from './action-cursor.js';

describe('action history cursor', () => {
  it('round-trips a position', () => {
    const position = { occurredAt: '2026-11-24 08:15:02.123456', eventId: 'evt-1' };
    expect(decodeCursor(encodeCursor(position))).toEqual(position);
  });

  it.each(['', 'not-base64!', Buffer.from('["x","y"]').toString('base64url'), Buffer.from('{"a":1}').toString('base64url')])(
    'rejects a token it did not issue: %j',
    (token) => {
      expect(() => decodeCursor(token)).toThrow(InvalidCursorError);
    },
  );
});
