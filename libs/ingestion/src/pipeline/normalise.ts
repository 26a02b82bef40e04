import { parseRfc3339, toRfc3339Utc } from '@warden/common';
import type { AgentAction } from '@warden/contracts';

/** Canonical form of an accepted event: timestamps in UTC, fraction kept to the microsecond. */
export function normalise(event: AgentAction): AgentAction {
  return { ...event, occurred_at: toRfc3339Utc(parseRfc3339(event.occurred_at)) };
}
