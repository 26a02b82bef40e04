import { describe, expect, it } from 'vitest';
import type { ConsumedMessage } from './kafka-message.js';
import { packMessages, unpackMessages } from './packed-messages.js';

// Like kafkajs: every key, value and header value is a view into one large fetch response.
const response = Buffer.alloc(1024 * 1024);
function fromResponse(at: number, text: string): Buffer {
  response.write(text, at);
  return response.subarray(at, at + Buffer.byteLength(text));
}

const messages: ConsumedMessage[] = [
  { offset: '41', key: fromResponse(0, 'agent-1'), value: fromResponse(100, '{"event_id":"e-1"}'), headers: { traceparent: fromResponse(200, '00-abc-01'), 'x-hops': [fromResponse(300, 'a'), 'b'] } },
  { offset: '42', key: null, value: fromResponse(400, '{"event_id":"é-2"}') },
  { offset: '43', key: fromResponse(500, ''), value: null, headers: { gone: undefined } },
];

describe('messages packed to cross to a triage worker', () => {
  it('come back with the same offsets, keys, values and headers, as Buffers', () => {
    const back = unpackMessages(structuredClone(packMessages(messages)));
    expect(back).toEqual(messages);
    expect(back.map((m) => m.value?.toString())).toEqual(['{"event_id":"e-1"}', '{"event_id":"é-2"}', undefined]);
    expect(back.map((m) => m.key)).toEqual([Buffer.from('agent-1'), null, Buffer.alloc(0)]);
    for (const m of back) if (m.value) expect(Buffer.isBuffer(m.value)).toBe(true);
    expect(Buffer.isBuffer(back[0].headers?.traceparent)).toBe(true);
    expect(Buffer.isBuffer((back[0].headers?.['x-hops'] as Buffer[])[0])).toBe(true);
  });

  it('hold only the messages’ own bytes, not the fetch response they were views into', () => {
    const packed = packMessages(messages);
    expect(packed.bytes.byteLength).toBe('agent-1'.length + '{"event_id":"e-1"}'.length + Buffer.byteLength('{"event_id":"é-2"}'));
    const header = packed.headers[0]?.traceparent as Uint8Array;
    expect(header.buffer.byteLength).toBe('00-abc-01'.length);
  });

  it('are a copy: the response buffer may be reused once they are packed', () => {
    const packed = packMessages(messages);
    response.fill(0);
    expect(unpackMessages(packed)[0].value?.toString()).toBe('{"event_id":"e-1"}');
  });
});
