import { parseRfc3339, toRfc3339Utc, withSortedMembers } from '@warden/common';
import type { AgentAction } from '@warden/contracts';

/**
 * Canonical form of an accepted event: timestamps in UTC, fraction kept to
 * the microsecond; attributes with their members in sorted order, like the
 * rest of a validated event, so the stored canonical JSON is written natively.
 */
export function normalise(event: AgentAction): AgentAction {
  const normalised = { ...event, occurred_at: toRfc3339Utc(parseRfc3339(event.occurred_at)) };
  if (event.attributes !== undefined) normalised.attributes = withSortedMembers(event.attributes);
  return normalised;
}
