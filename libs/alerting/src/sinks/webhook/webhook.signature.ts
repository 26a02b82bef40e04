import { createHmac, timingSafeEqual } from 'node:crypto';

export const TIMESTAMP_HEADER = 'x-warden-timestamp';
export const SIGNATURE_HEADER = 'x-warden-signature';
export const DELIVERY_HEADER = 'x-warden-delivery';

/** Receivers should refuse anything signed longer ago than this (or this far in the future). */
export const DEFAULT_SIGNATURE_TOLERANCE_SECONDS = 300;

const SCHEME = 'v1';
const HEX_SHA256 = /^[0-9a-f]{64}$/;

/**
 * `v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`. The timestamp is inside the
 * signed text, so a captured request cannot be replayed later with a fresh
 * timestamp; the receiver's tolerance check bounds replays of the original.
 */
export function signAlert(secret: string, timestampSeconds: number, body: string | Buffer): string {
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.`).update(body).digest('hex');
  return `${SCHEME}=${mac}`;
}

export type SignatureVerification =
  | { ok: true }
  | { ok: false; reason: 'MALFORMED_TIMESTAMP' | 'MALFORMED_SIGNATURE' | 'EXPIRED' | 'MISMATCH' };

/**
 * For receivers: checks the two headers against the raw request body (the
 * exact bytes received, before any JSON parsing). The signature header may
 * hold several comma-separated `v1=` values (sent while a secret rotates);
 * one match is enough. Comparison is constant-time.
 */
export function verifyAlertSignature(
  secret: string,
  timestamp: string,
  body: string | Buffer,
  signature: string,
  toleranceSeconds: number = DEFAULT_SIGNATURE_TOLERANCE_SECONDS,
  nowMs: number = Date.now(),
): SignatureVerification {
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'MALFORMED_TIMESTAMP' };
  const candidates = signature
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.startsWith(`${SCHEME}=`))
    .map((part) => part.slice(SCHEME.length + 1).toLowerCase())
    .filter((hex) => HEX_SHA256.test(hex));
  if (candidates.length === 0) return { ok: false, reason: 'MALFORMED_SIGNATURE' };
  const signedAt = Number(timestamp);
  if (Math.abs(nowMs / 1000 - signedAt) > toleranceSeconds) return { ok: false, reason: 'EXPIRED' };
  const expected = Buffer.from(signAlert(secret, signedAt, body).slice(SCHEME.length + 1), 'hex');
  // Every candidate is compared (no early exit), so timing says nothing about which one matched.
  let matched = false;
  for (const hex of candidates) matched = timingSafeEqual(expected, Buffer.from(hex, 'hex')) || matched;
  return matched ? { ok: true } : { ok: false, reason: 'MISMATCH' };
}
