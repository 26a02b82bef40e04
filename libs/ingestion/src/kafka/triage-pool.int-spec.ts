import { agentAction } from '@warden/testing';
import { afterAll, describe, expect, it } from 'vitest';
import type { ConsumedMessage } from './kafka-message.js';
import { triageChunk } from './partition-chunk.js';
import { TriagePool } from './triage-pool.js';

const pool = new TriagePool(2);
afterAll(() => pool.close());

const messages: ConsumedMessage[] = [
  { key: Buffer.from('agent-1'), value: Buffer.from(JSON.stringify(agentAction({ attributes: { b: 1, a: 'Bearer abcdefghijklmnopqrstuvwxyz0123456789' } }))), offset: '10', headers: { traceparent: Buffer.from('00-abc') } },
  { key: Buffer.from('agent-1'), value: Buffer.from('{"event_id": "truncated'), offset: '11', headers: { 'x-origin': [Buffer.from('a'), 'b'] } },
  { key: null, value: Buffer.from(JSON.stringify({ ...agentAction(), outcome: 'maybe' })), offset: '12' },
  { key: Buffer.from('agent-2'), value: Buffer.from(JSON.stringify(agentAction())), offset: '13' },
];
const origin = { topic: 'actions', partition: 3 };
const at = new Date('2026-11-24T12:00:00Z');

describe('triage on worker threads', () => {
  it('gives exactly what triage on the main thread gives: events, redactions, dead letters byte for byte, next offset', async () => {
    const inline = triageChunk(messages, origin, at);
    const inWorker = await pool.run(messages, origin, at);
    expect(inWorker).toEqual(inline);
    expect(inWorker.events).toHaveLength(2);
    expect(inWorker.deadLetters.map((d) => d.headers['warden.dlq.reason'])).toEqual(['not_json', 'contract']);
    // The DLQ producer needs Buffers, not the Uint8Arrays structured clone hands back.
    for (const letter of inWorker.deadLetters) {
      expect(letter.value === null || Buffer.isBuffer(letter.value)).toBe(true);
      expect(letter.key === null || Buffer.isBuffer(letter.key)).toBe(true);
    }
    expect(Buffer.isBuffer((inWorker.deadLetters[0].headers['x-origin'] as Buffer[])[0])).toBe(true);
  });

  it('spreads concurrent chunks over its workers and answers each with its own result', async () => {
    const chunks = Array.from({ length: 8 }, (_, i) => [{ key: null, value: Buffer.from(JSON.stringify(agentAction())), offset: String(i) }]);
    const results = await Promise.all(chunks.map((c) => pool.run(c, origin, at)));
    expect(results.map((r) => r.nextOffset)).toEqual(chunks.map((_, i) => String(i + 1)));
    expect(results.map((r) => r.events[0].event_id)).toEqual(chunks.map((c) => JSON.parse(c[0].value.toString()).event_id));
  });

  it('runs inline when it has no workers', async () => {
    const inline = new TriagePool(0);
    expect(await inline.run(messages, origin, at)).toEqual(triageChunk(messages, origin, at));
    await inline.close();
  });
});
