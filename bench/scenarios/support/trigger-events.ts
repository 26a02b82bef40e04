import type { AgentAction } from '@warden/contracts';

/** The shipped rule a trigger is built to fire on one event (permission widening of restricted data, score 9 ≥ 2). */
export const TRIGGER_RULE = 'permission-widening-sensitive';
/** Also fires on the same event: an agent's first privileged action type (a ClickHouse history read per event). */
export const TRIGGER_SIDE_RULE = 'first-seen-privileged-agent-action';

/**
 * The founding incident as one event: an agent widens a restricted folder from
 * a team of 12 to the whole organisation (40,000). Each trigger has its own
 * principal, so alert grouping (rule + tenant + principal) and throttling
 * never fold one trigger into another's alert. `sentAtMs` (the producer's
 * clock just before the send) is the event's occurred_at, so Warden's own
 * `from_occurred` latency is measured from the same instant as ours.
 */
export function triggerEvent(n: number, tag: string, sentAtMs: number): AgentAction {
  const principal = `bench-trigger-${tag}-${n}`;
  return {
    event_id: `${tag}-trigger-${n}`,
    schema_version: '1',
    occurred_at: new Date(sentAtMs).toISOString(),
    tenant: 'default',
    principal: { id: principal, kind: 'agent', display_name: `Trigger agent ${n}` },
    agent: { id: principal, framework: 'langgraph', model: 'gpt-5', on_behalf_of: 'bench@example.com' },
    action: { type: 'permission.grant', name: 'share_folder' },
    resource: { type: 'drive.folder', id: `fld-bench-${n}`, name: 'User exports', sensitivity: 'restricted', owner: 'security' },
    permission_change: { grantee: 'group:all-employees', privileges: ['read'], audience_before: 12, audience_after: 40_000, scope_before: 'team', scope_after: 'org' },
    outcome: 'success',
    source: { system: 'gdrive-gateway', session_id: `sess-trigger-${n}`, ip: '10.20.30.41' },
    attributes: { bench_sent_at_ms: sentAtMs, bench_trigger: n },
  };
}
