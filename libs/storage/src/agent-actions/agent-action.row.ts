import { type UtcInstant, canonicalJson, clickHouseTimeFromRfc3339, toClickHouseDateTime64 } from '@warden/common';
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

/**
 * Flattens an accepted event into the columns queries filter on, keeping the
 * whole event as the payload. The payload is canonical JSON (sorted keys, no
 * whitespace), so its bytes are exactly what the integrity chain hashes: the
 * event's hash is SHA-256 of the payload as written, with no parse.
 */
export function toAgentActionRow(event: AgentAction, ingestedAt: UtcInstant | string): AgentActionRow {
  return [
    event.tenant,
    event.event_id,
    clickHouseTimeFromRfc3339(event.occurred_at),
    typeof ingestedAt === 'string' ? ingestedAt : toClickHouseDateTime64(ingestedAt),
    event.principal.id,
    event.principal.kind,
    event.agent?.id ?? '',
    event.action.type,
    event.resource.type,
    event.resource.id,
    event.resource.sensitivity ?? '',
    event.outcome,
    event.source.system,
    canonicalJson(event),
  ];
}
