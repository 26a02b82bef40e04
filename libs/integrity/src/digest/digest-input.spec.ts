import { instantFromDate } from '@warden/common';
import { agentAction } from '@warden/testing';
import { toAgentActionRow } from '@warden/storage';
import { describe, expect, it } from 'vitest';
import { eventHash } from './batch-digest.js';
import { digestInputFromRow } from './digest-writer.js';

describe('the digest input taken from a stored row', () => {
  it('hashes the payload bytes to exactly what the verifier recomputes from the stored row', () => {
    const event = agentAction({
      attributes: { zeta: 1, alpha: { é: 'ü', b: [3, { y: null, x: true }] }, 'emoji😀': 'x', A: -0.25 },
    });
    const row = toAgentActionRow(event, instantFromDate(new Date('2026-11-24T08:00:00Z')));
    const input = digestInputFromRow(row);
    expect(input.hash).toBe(eventHash(input.payload));
  });

  it('stores the payload in canonical form, whatever order the producer wrote', () => {
    const event = agentAction({ attributes: { b: 1, a: 2 } });
    const row = toAgentActionRow(event, instantFromDate(new Date()));
    const payload = digestInputFromRow(row).payload;
    expect(payload.indexOf('"a":2')).toBeLessThan(payload.indexOf('"b":1'));
    expect(JSON.parse(payload)).toEqual(JSON.parse(JSON.stringify(event)));
  });
});
