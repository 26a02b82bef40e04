import { describe, expect, it } from 'vitest';
import {
  BATCH_MAX_EVENTS,
  BatchTooLargeError,
  MalformedBatchError,
  NotAnArrayError,
  decodeJsonArray,
  decodeNdjson,
} from './event-batch.decoder.js';

describe('decoding an NDJSON batch', () => {
  it('yields one event per non-blank line, keeping each line as the raw bytes', () => {
    const events = decodeNdjson('{"a":1}\n\n{"b":2}\r\n');
    expect(events).toEqual([
      { value: { a: 1 }, raw: '{"a":1}' },
      { value: { b: 2 }, raw: '{"b":2}' },
    ]);
  });

  it('names the line of a syntax error', () => {
    const error = (() => {
      try {
        decodeNdjson('{"a":1}\n{"b":\n');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(MalformedBatchError);
    expect((error as MalformedBatchError).location.line).toBe(2);
    expect((error as MalformedBatchError).code).toBe('INGEST.MALFORMED_JSON');
  });

  it('refuses more than the batch limit', () => {
    const body = '{}\n'.repeat(BATCH_MAX_EVENTS + 1);
    expect(() => decodeNdjson(body)).toThrow(BatchTooLargeError);
    expect(decodeNdjson('{}\n'.repeat(BATCH_MAX_EVENTS))).toHaveLength(BATCH_MAX_EVENTS);
  });
});

describe('decoding a JSON array batch', () => {
  it('re-serialises each element as its raw bytes', () => {
    expect(decodeJsonArray([{ a: 1 }, 'x'])).toEqual([
      { value: { a: 1 }, raw: '{"a":1}' },
      { value: 'x', raw: '"x"' },
    ]);
  });

  it('refuses a body that is not an array', () => {
    expect(() => decodeJsonArray({ event_id: 'x' })).toThrow(NotAnArrayError);
  });

  it('refuses more than the batch limit', () => {
    expect(() => decodeJsonArray(new Array(BATCH_MAX_EVENTS + 1).fill({}))).toThrow(BatchTooLargeError);
  });
});
