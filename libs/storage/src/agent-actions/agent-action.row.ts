import { type UtcInstant, parseRfc3339, toClickHouseDateTime64 } from '@warden/common';
import type { AgentAction } from '@warden/contracts';

/** Column order of an `agent_actions` insert (JSONCompactEachRow). */
export const AGENT_ACTION_COLUMNS = [
  'tenant',
  'event_id',
  'occurred_at',
  'ingested_at',
  'principal_id',
  'principal_kind',
  'agent_id',
  'action_type',
  'resource_type',
  'resource_id',
  'sensitivity',
  'outcome',
  'source_system',
  'payload',
] as const;

export type AgentActionRow = [
  string, string, string, string, string, string, string,
  string, string, string, string, string, string, string,
];

/** Flattens an accepted event into the columns queries filter on, keeping the whole event as the payload. */
export function toAgentActionRow(event: AgentAction, ingestedAt: UtcInstant): AgentActionRow {
  return [
    event.tenant,
    event.event_id,
    toClickHouseDateTime64(parseRfc3339(event.occurred_at)),
    toClickHouseDateTime64(ingestedAt),
    event.principal.id,
    event.principal.kind,
    event.agent?.id ?? '',
    event.action.type,
    event.resource.type,
    event.resource.id,
    event.resource.sensitivity ?? '',
    event.outcome,
    event.source.system,
    JSON.stringify(event),
  ];
}
