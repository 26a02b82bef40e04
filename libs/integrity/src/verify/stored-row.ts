import { fromClickHouseDateTime64 } from '@warden/common';
import type { AgentAction } from '@warden/contracts';
import { AGENT_ACTION_COLUMNS, toAgentActionRow } from '@warden/storage';
import { eventHash } from '../digest/batch-digest.js';

/** A row of `agent_actions` as the verifier reads it: every column, timestamps as ClickHouse text. */
export interface StoredRow {
  tenant: string;
  event_id: string;
  occurred_at_text: string;
  ingested_at_text: string;
  principal_id: string;
  principal_kind: string;
  agent_id: string;
  action_type: string;
  resource_type: string;
  resource_id: string;
  sensitivity: string;
  outcome: string;
  source_system: string;
  payload: string;
}

/** Aliases must not shadow column names: ClickHouse would apply them inside WHERE too. */
export const STORED_ROW_SELECT = `tenant, event_id, toString(occurred_at) AS occurred_at_text, toString(ingested_at) AS ingested_at_text,
  principal_id, principal_kind, agent_id, action_type, resource_type, resource_id, sensitivity, outcome, source_system, payload`;

type Column = (typeof AGENT_ACTION_COLUMNS)[number];
const read = (row: StoredRow, column: Column): string =>
  column === 'occurred_at' ? row.occurred_at_text : column === 'ingested_at' ? row.ingested_at_text : row[column];

/**
 * Why a stored row is not the event that was signed, or null when it is.
 * The payload must hash to the signed hash, and every column the queries
 * filter on must be what the payload implies: editing `principal_id` alone
 * would hide an action from that principal's history without touching the
 * payload. `ingestedAt` null accepts any ingest time (an event legitimately
 * stored by two batches). Details name columns, never values.
 */
export function rowMismatch(row: StoredRow, signed: { hash: string; ingestedAt: string | null }): string | null {
  const hash = eventHash(row.payload);
  if (hash === null) return 'payload is not JSON';
  if (hash !== signed.hash) return 'payload differs from the signed event';
  let expected: readonly string[];
  try {
    expected = toAgentActionRow(JSON.parse(row.payload) as AgentAction, fromClickHouseDateTime64(row.ingested_at_text));
  } catch {
    return 'payload is not a storable event';
  }
  const differing = AGENT_ACTION_COLUMNS.filter((c, i) => c !== 'payload' && c !== 'ingested_at' && read(row, c) !== expected[i]);
  if (differing.length > 0) return `column${differing.length > 1 ? 's' : ''} ${differing.join(', ')} disagree${differing.length > 1 ? '' : 's'} with the payload`;
  if (signed.ingestedAt !== null && row.ingested_at_text !== signed.ingestedAt) {
    return `ingested_at ${row.ingested_at_text} is not the batch's ${signed.ingestedAt}`;
  }
  return null;
}
