import { createHash } from 'node:crypto';

/**
 * The revert (and stream) id of a recorded permission change: a function of
 * tenant and event id only, so asking twice to revert the same change lands
 * on the same stream and is recognised as a repeat.
 */
export function revertIdFor(tenant: string, eventId: string): string {
  const digest = createHash('sha256').update(tenant).update('\u0000').update(eventId).digest('hex');
  return `pcr_${digest.slice(0, 32)}`;
}
