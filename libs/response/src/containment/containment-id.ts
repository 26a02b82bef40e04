import { createHash } from 'node:crypto';

/**
 * The containment (and stream) id for a request: a function of tenant and
 * idempotency key only, so a client that repeats a request reaches the same
 * stream and the decider can recognise the repeat. Hashing keeps ids short
 * and free of whatever characters clients put in their keys.
 */
export function containmentIdFor(tenant: string, idempotencyKey: string): string {
  const digest = createHash('sha256').update(tenant).update('\u0000').update(idempotencyKey).digest('hex');
  return `ctn_${digest.slice(0, 32)}`;
}
