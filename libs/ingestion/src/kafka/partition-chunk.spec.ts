import { describe, expect, it } from 'vitest';
import { agentAction } from '@warden/testing';
import { DLQ_HEADERS } from './dead-letter.js';
import type { ConsumedMessage } from './kafka-message.js';
import { triageChunk } from './partition-chunk.js';

const origin = { topic: 'agent-actions', partition: 4 };
const at = new Date('2026-11-24T10:00:00Z');
let offset = 100;
const message = (value: string | Buffer | null, headers: ConsumedMessage['headers'] = {}): ConsumedMessage => ({
  key: Buffer.from('agent-7'),
  value: typeof value === 'string' ? Buffer.from(value) : value,
  offset: String(offset++),
  headers,
});

describe('triage of one partition chunk', () => {
  it('keeps valid events, dead-letters the rest with reason and coordinates, and commits past the last message', () => {
    offset = 100;
    const good = agentAction();
    const tooBig = JSON.stringify({ ...agentAction(), attributes: { pad: 'x'.repeat(70 * 1024) } });
    const invalid = { ...agentAction(), outcome: 'perhaps' };
    const messages = [
      message(JSON.stringify(good)),
      message('not json at all', { 'trace-id': 'abc' }),
      message(tooBig),
      message(JSON.stringify(invalid)),
      message(null),
      message(JSON.stringify(good)),
    ];
    const chunk = triageChunk(messages, origin, at);

    expect(chunk.events.map((e) => e.event_id)).toEqual([good.event_id]);
    expect(chunk.repeats).toBe(1);
    expect(chunk.nextOffset).toBe('106');
    expect(chunk.deadLetterReasons).toEqual(['not_json', 'too_large', 'contract', 'not_json']);
    expect(chunk.deadLetters.map((d) => d.headers[DLQ_HEADERS.offset])).toEqual(['101', '102', '103', '104']);

    const [notJson, , contract] = chunk.deadLetters;
    expect(notJson.value?.toString()).toBe('not json at all');
    expect(notJson.key?.toString()).toBe('agent-7');
    expect(notJson.headers['trace-id']).toBe('abc');
    expect(notJson.headers[DLQ_HEADERS.topic]).toBe('agent-actions');
    expect(notJson.headers[DLQ_HEADERS.partition]).toBe('4');
    expect(JSON.parse(String(contract.headers[DLQ_HEADERS.errors]))).toEqual([{ path: 'outcome', message: expect.any(String) }]);
    expect(contract.value?.toString()).toBe(JSON.stringify(invalid));
  });

  it('takes the tenant from each event: a Kafka topic carries several tenants', () => {
    offset = 0;
    const chunk = triageChunk(
      [message(JSON.stringify(agentAction({ tenant: 'acme' }))), message(JSON.stringify(agentAction({ tenant: 'globex' })))],
      origin,
      at,
    );
    expect(chunk.events.map((e) => e.tenant)).toEqual(['acme', 'globex']);
    expect(chunk.deadLetters).toEqual([]);
  });
});
