import { describe, expect, it } from 'vitest';
import { type BatchDigestInput, GENESIS_DIGEST, batchDigest, eventHash, sha256Hex } from './batch-digest.js';

const h = (s: string) => sha256Hex(s);

const batch: BatchDigestInput = {
  tenant: 'acme',
  seq: 1,
  prev_digest: GENESIS_DIGEST,
  ingested_at: '2026-11-24 10:00:00.250000',
  events: [
    { event_id: 'evt-1', occurred_at: '2026-11-24 09:59:58.000000', hash: h('one') },
    { event_id: 'evt-2', occurred_at: '2026-11-24 09:59:59.500000', hash: h('two') },
  ],
};

describe('the hash of a stored event', () => {
  it('is SHA-256 over the canonical JSON of the payload, so key order and spacing do not matter', () => {
    expect(eventHash('{"b":1,"a":[1,2]}')).toBe(sha256Hex('{"a":[1,2],"b":1}'));
    expect(eventHash('{ "a" : [1, 2], "b": 1 }')).toBe(eventHash('{"b":1,"a":[1,2]}'));
  });

  it('changes with the meaning', () => {
    expect(eventHash('{"outcome":"success"}')).not.toBe(eventHash('{"outcome":"denied"}'));
  });

  it('is null for a payload that is not JSON', () => {
    expect(eventHash('{"truncated":')).toBeNull();
  });
});

describe('the digest of a batch', () => {
  it('is pinned: the definition cannot change without breaking every stored chain', () => {
    // Computed independently (Python hashlib/struct) from the definition documented on batchDigest.
    expect(batchDigest(batch)).toBe('a1236e4d0fec9410eb19ec0fadabb71049861648e6351a2487a31af4d29541a2');
  });

  it.each([
    ['tenant', { ...batch, tenant: 'acme2' }],
    ['seq', { ...batch, seq: 2 }],
    ['previous digest', { ...batch, prev_digest: h('other') }],
    ['ingest time', { ...batch, ingested_at: '2026-11-24 10:00:00.250001' }],
    ['event order', { ...batch, events: [batch.events[1], batch.events[0]] }],
    ['an event id', { ...batch, events: [{ ...batch.events[0], event_id: 'evt-9' }, batch.events[1]] }],
    ['an occurred_at', { ...batch, events: [{ ...batch.events[0], occurred_at: '2026-11-24 09:59:58.000001' }, batch.events[1]] }],
    ['an event hash', { ...batch, events: [{ ...batch.events[0], hash: h('ONE') }, batch.events[1]] }],
    ['the event count', { ...batch, events: [batch.events[0]] }],
  ])('changes with the %s', (_field, changed) => {
    expect(batchDigest(changed)).not.toBe(batchDigest(batch));
  });

  it('length-prefixes every field, so moving a boundary between fields changes the digest', () => {
    const a = { ...batch, tenant: 'ab', events: [{ ...batch.events[0], event_id: 'c' }] };
    const b = { ...batch, tenant: 'a', events: [{ ...batch.events[0], event_id: 'bc' }] };
    expect(batchDigest(a)).not.toBe(batchDigest(b));
  });

  it('still digests (to something else) when a stored hash is not hex, instead of throwing', () => {
    const broken = { ...batch, prev_digest: 'not-a-digest' };
    expect(batchDigest(broken)).toMatch(/^[0-9a-f]{64}$/);
    expect(batchDigest(broken)).not.toBe(batchDigest(batch));
  });
});
