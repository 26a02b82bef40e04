import { createHmac, timingSafeEqual } from 'node:crypto';

/** Headers of a signed Warden webhook. */
export const WEBHOOK_HEADERS = {
  /** Unix time in seconds when the request was signed. */
  timestamp: 'x-warden-timestamp',
  /** `v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`; several comma-separated entries are allowed (secret rotation). */
  signature: 'x-warden-signature',
  /** The same for every attempt of one operation: receivers dedupe on it. */
  idempotencyKey: 'idempotency-key',
} as const;

const SCHEME = 'v1';

function hmac(secret: string, timestamp: string, body: string | Uint8Array): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest();
}

/** The X-Warden-Signature value for a body signed at `timestamp` (Unix seconds). */
export function signWebhook(secret: string, timestamp: number, body: string | Uint8Array): string {
  return `${SCHEME}=${hmac(secret, String(timestamp), body).toString('hex')}`;
}

export type WebhookSignatureCheck =
  | { readonly valid: true; readonly timestamp: number }
  | {
      readonly valid: false;
      readonly reason: 'MALFORMED_TIMESTAMP' | 'STALE_TIMESTAMP' | 'MALFORMED_SIGNATURE' | 'SIGNATURE_MISMATCH';
    };

const TIMESTAMP = /^\d{1,15}$/;
const V1_DIGEST = /^[0-9a-f]{64}$/;

/**
 * For receivers: checks a Warden webhook before acting on it. Valid means
 * the body (the raw bytes received, before any JSON parsing) was signed with
 * `secret` at `timestamp`, and that moment is within `toleranceSeconds` of
 * `now` either way, so a captured request cannot be replayed later. Within
 * the window, dedupe on the Idempotency-Key header.
 *
 * Digests are compared in constant time; any `v1=` entry of the header may
 * match, so a sender can sign with an old and a new secret while they rotate.
 */
export function verifyWebhookSignature(
  secret: string,
  timestamp: string | number | undefined,
  body: string | Uint8Array,
  signature: string | undefined,
  toleranceSeconds: number,
  now: Date = new Date(),
): WebhookSignatureCheck {
  const stamp = typeof timestamp === 'number' ? String(timestamp) : (timestamp ?? '').trim();
  if (!TIMESTAMP.test(stamp)) return { valid: false, reason: 'MALFORMED_TIMESTAMP' };
  const seconds = Number(stamp);
  if (Math.abs(now.getTime() / 1000 - seconds) > toleranceSeconds) return { valid: false, reason: 'STALE_TIMESTAMP' };

  const candidates = (signature ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.startsWith(`${SCHEME}=`))
    .map((entry) => entry.slice(SCHEME.length + 1).toLowerCase())
    .filter((hex) => V1_DIGEST.test(hex));
  if (candidates.length === 0) return { valid: false, reason: 'MALFORMED_SIGNATURE' };

  const expected = hmac(secret, stamp, body);
  // Every candidate is compared, so the time taken does not tell which one (if any) matched.
  let matched = false;
  for (const hex of candidates) matched = timingSafeEqual(expected, Buffer.from(hex, 'hex')) || matched;
  return matched ? { valid: true, timestamp: seconds } : { valid: false, reason: 'SIGNATURE_MISMATCH' };
}
