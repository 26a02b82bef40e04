import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signAlert, verifyAlertSignature } from './webhook.signature.js';

const SECRET = 'whsec-0123456789abcdef';
const BODY = '{"type":"alert.triggered","delivery_id":"d1"}';
const SIGNED_AT = 1_795_000_000;
const NOW_MS = SIGNED_AT * 1000 + 30_000;

describe('webhook signatures', () => {
  it('signs "<timestamp>.<body>" with HMAC-SHA256, hex, under the v1 scheme', () => {
    const expected = createHmac('sha256', SECRET).update(`${SIGNED_AT}.${BODY}`).digest('hex');
    expect(signAlert(SECRET, SIGNED_AT, BODY)).toBe(`v1=${expected}`);
  });

  it('verifies a fresh signature over the exact body', () => {
    expect(verifyAlertSignature(SECRET, String(SIGNED_AT), BODY, signAlert(SECRET, SIGNED_AT, BODY), 300, NOW_MS)).toEqual({ ok: true });
    expect(verifyAlertSignature(SECRET, String(SIGNED_AT), Buffer.from(BODY), signAlert(SECRET, SIGNED_AT, BODY), 300, NOW_MS)).toEqual({ ok: true });
  });

  it('refuses a changed body, a wrong secret and a moved timestamp', () => {
    const signature = signAlert(SECRET, SIGNED_AT, BODY);
    expect(verifyAlertSignature(SECRET, String(SIGNED_AT), `${BODY} `, signature, 300, NOW_MS)).toEqual({ ok: false, reason: 'MISMATCH' });
    expect(verifyAlertSignature('another-secret-000', String(SIGNED_AT), BODY, signature, 300, NOW_MS)).toEqual({ ok: false, reason: 'MISMATCH' });
    // Replaying the body under a fresh timestamp breaks the signature.
    expect(verifyAlertSignature(SECRET, String(SIGNED_AT + 10), BODY, signature, 300, NOW_MS)).toEqual({ ok: false, reason: 'MISMATCH' });
  });

  it('refuses a replay outside the tolerance, in the past or the future', () => {
    const signature = signAlert(SECRET, SIGNED_AT, BODY);
    expect(verifyAlertSignature(SECRET, String(SIGNED_AT), BODY, signature, 300, (SIGNED_AT + 301) * 1000)).toEqual({ ok: false, reason: 'EXPIRED' });
    expect(verifyAlertSignature(SECRET, String(SIGNED_AT), BODY, signature, 300, (SIGNED_AT - 301) * 1000)).toEqual({ ok: false, reason: 'EXPIRED' });
    expect(verifyAlertSignature(SECRET, String(SIGNED_AT), BODY, signature, 300, (SIGNED_AT + 300) * 1000)).toEqual({ ok: true });
  });

  it('accepts any one of several v1 signatures (secret rotation)', () => {
    const header = `${signAlert('old-secret-0000000', SIGNED_AT, BODY)}, ${signAlert(SECRET, SIGNED_AT, BODY)}`;
    expect(verifyAlertSignature(SECRET, String(SIGNED_AT), BODY, header, 300, NOW_MS)).toEqual({ ok: true });
  });

  it('refuses malformed headers without throwing', () => {
    const good = signAlert(SECRET, SIGNED_AT, BODY);
    expect(verifyAlertSignature(SECRET, 'yesterday', BODY, good, 300, NOW_MS)).toEqual({ ok: false, reason: 'MALFORMED_TIMESTAMP' });
    expect(verifyAlertSignature(SECRET, String(SIGNED_AT), BODY, 'sha256=abc', 300, NOW_MS)).toEqual({ ok: false, reason: 'MALFORMED_SIGNATURE' });
    expect(verifyAlertSignature(SECRET, String(SIGNED_AT), BODY, 'v1=abcd', 300, NOW_MS)).toEqual({ ok: false, reason: 'MALFORMED_SIGNATURE' });
  });
});
