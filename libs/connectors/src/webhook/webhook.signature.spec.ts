import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhookSignature } from './webhook.signature.js';

const SECRET = 'whsec-0123456789abcdef';
const BODY = '{"id":"op-1"}';
const SIGNED_AT = 1_767_225_600; // 2026-01-01T00:00:00Z
const at = (seconds: number) => new Date(seconds * 1000);
/** HMAC-SHA256(SECRET, "1767225600.{"id":"op-1"}"), computed independently. */
const KNOWN_DIGEST = 'cf3c23dbeac5c15cf876ed6c31a9a16cc809a302108bfc63eeb2889e536d3a7b';

describe('signWebhook', () => {
  it('signs "<timestamp>.<body>" with HMAC-SHA256, as v1=<hex>', () => {
    expect(signWebhook(SECRET, SIGNED_AT, BODY)).toBe(`v1=${KNOWN_DIGEST}`);
    expect(signWebhook(SECRET, SIGNED_AT, Buffer.from(BODY))).toBe(`v1=${KNOWN_DIGEST}`);
  });
});

describe('verifyWebhookSignature', () => {
  const signature = `v1=${KNOWN_DIGEST}`;

  it('accepts a request signed with the secret within the tolerance, either way', () => {
    expect(verifyWebhookSignature(SECRET, String(SIGNED_AT), BODY, signature, 300, at(SIGNED_AT))).toEqual({ valid: true, timestamp: SIGNED_AT });
    expect(verifyWebhookSignature(SECRET, SIGNED_AT, BODY, signature, 300, at(SIGNED_AT + 300))).toEqual({ valid: true, timestamp: SIGNED_AT });
    expect(verifyWebhookSignature(SECRET, SIGNED_AT, Buffer.from(BODY), signature, 300, at(SIGNED_AT - 300))).toEqual({
      valid: true,
      timestamp: SIGNED_AT,
    });
  });

  it('rejects a replay outside the tolerance, and a timestamp from too far in the future', () => {
    expect(verifyWebhookSignature(SECRET, SIGNED_AT, BODY, signature, 300, at(SIGNED_AT + 301))).toEqual({ valid: false, reason: 'STALE_TIMESTAMP' });
    expect(verifyWebhookSignature(SECRET, SIGNED_AT, BODY, signature, 300, at(SIGNED_AT - 301))).toEqual({ valid: false, reason: 'STALE_TIMESTAMP' });
  });

  it('rejects a tampered body, a moved timestamp, and another secret', () => {
    const mismatch = { valid: false, reason: 'SIGNATURE_MISMATCH' };
    expect(verifyWebhookSignature(SECRET, SIGNED_AT, '{"id":"op-2"}', signature, 300, at(SIGNED_AT))).toEqual(mismatch);
    expect(verifyWebhookSignature(SECRET, SIGNED_AT + 1, BODY, signature, 300, at(SIGNED_AT))).toEqual(mismatch);
    expect(verifyWebhookSignature('another-secret-0000', SIGNED_AT, BODY, signature, 300, at(SIGNED_AT))).toEqual(mismatch);
  });

  it('accepts any v1 entry of the header, so a sender can sign with two secrets while rotating', () => {
    const old = signWebhook('old-secret-000000', SIGNED_AT, BODY);
    expect(verifyWebhookSignature(SECRET, SIGNED_AT, BODY, `${old}, ${signature}`, 300, at(SIGNED_AT))).toEqual({ valid: true, timestamp: SIGNED_AT });
    expect(verifyWebhookSignature(SECRET, SIGNED_AT, BODY, `v0=${KNOWN_DIGEST}, ${old}`, 300, at(SIGNED_AT))).toEqual({
      valid: false,
      reason: 'SIGNATURE_MISMATCH',
    });
    expect(verifyWebhookSignature(SECRET, SIGNED_AT, BODY, `V1=${KNOWN_DIGEST}`, 300, at(SIGNED_AT))).toEqual({ valid: false, reason: 'MALFORMED_SIGNATURE' });
    expect(verifyWebhookSignature(SECRET, SIGNED_AT, BODY, `v1=${KNOWN_DIGEST.toUpperCase()}`, 300, at(SIGNED_AT))).toEqual({
      valid: true,
      timestamp: SIGNED_AT,
    });
  });

  it('rejects missing or malformed headers without computing anything', () => {
    expect(verifyWebhookSignature(SECRET, undefined, BODY, signature, 300, at(SIGNED_AT))).toEqual({ valid: false, reason: 'MALFORMED_TIMESTAMP' });
    expect(verifyWebhookSignature(SECRET, '1767225600.5', BODY, signature, 300, at(SIGNED_AT))).toEqual({ valid: false, reason: 'MALFORMED_TIMESTAMP' });
    expect(verifyWebhookSignature(SECRET, '-1', BODY, signature, 300, at(SIGNED_AT))).toEqual({ valid: false, reason: 'MALFORMED_TIMESTAMP' });
    expect(verifyWebhookSignature(SECRET, SIGNED_AT, BODY, undefined, 300, at(SIGNED_AT))).toEqual({ valid: false, reason: 'MALFORMED_SIGNATURE' });
    expect(verifyWebhookSignature(SECRET, SIGNED_AT, BODY, KNOWN_DIGEST, 300, at(SIGNED_AT))).toEqual({ valid: false, reason: 'MALFORMED_SIGNATURE' });
    expect(verifyWebhookSignature(SECRET, SIGNED_AT, BODY, 'v1=abc', 300, at(SIGNED_AT))).toEqual({ valid: false, reason: 'MALFORMED_SIGNATURE' });
  });
});
