import { parseRfc3339 } from '@warden/common';
import type { AgentAction } from '@warden/contracts';
import { toAgentActionRow } from '@warden/storage';
import { describe, expect, it } from 'vitest';
import { eventHash } from '../digest/batch-digest.js';
import { type StoredRow, rowMismatch } from './stored-row.js';

const event: AgentAction = {
  event_id: 'evt-row-1',
  schema_version: '1',
  occurred_at: '2026-11-24T09:15:02.5Z',
  tenant: 'acme',
  principal: { id: 'agent-7', kind: 'agent' },
  agent: { id: 'mail-agent' },
  action: { type: 'mail.delete' },
  resource: { type: 'mail.message', id: 'msg-1', sensitivity: 'confidential' },
  outcome: 'success',
  source: { system: 'mail-gateway' },
};

/** The row as the verifier reads it back: the stored columns, timestamps as ClickHouse text. */
function stored(e: AgentAction = event): StoredRow {
  const [tenant, event_id, occurred_at_text, ingested_at_text, principal_id, principal_kind, agent_id, action_type, resource_type, resource_id, sensitivity, outcome, source_system, payload] =
    toAgentActionRow(e, parseRfc3339('2026-11-24T09:15:03Z'));
  return { tenant, event_id, occurred_at_text, ingested_at_text, principal_id, principal_kind, agent_id, action_type, resource_type, resource_id, sensitivity, outcome, source_system, payload };
}

const signed = { hash: eventHash(JSON.stringify(event)) as string, ingestedAt: '2026-11-24 09:15:03.000000' };

describe('checking a stored row against its signed entry', () => {
  it('accepts the row exactly as stored', () => {
    expect(rowMismatch(stored(), signed)).toBeNull();
  });

  it('accepts a payload re-serialised with other key order and spacing (same meaning)', () => {
    const reformatted = JSON.stringify(Object.fromEntries(Object.entries(event).reverse()), null, 2);
    expect(rowMismatch({ ...stored(), payload: reformatted }, signed)).toBeNull();
  });

  it('names a payload that says something else', () => {
    expect(rowMismatch({ ...stored(), payload: JSON.stringify({ ...event, outcome: 'denied' }) }, signed)).toBe('payload differs from the signed event');
    expect(rowMismatch({ ...stored(), payload: '{"event_id":' }, signed)).toBe('payload is not JSON');
  });

  it('names the columns that no longer agree with the payload', () => {
    expect(rowMismatch({ ...stored(), principal_id: 'agent-8' }, signed)).toBe('column principal_id disagrees with the payload');
    expect(rowMismatch({ ...stored(), agent_id: '', occurred_at_text: '2026-11-24 09:15:02.000000' }, signed)).toBe(
      'columns occurred_at, agent_id disagree with the payload',
    );
  });

  it('names an ingest time other than the batch’s, unless any ingest time is accepted', () => {
    const moved = { ...stored(), ingested_at_text: '2026-11-24 09:20:00.000000' };
    expect(rowMismatch(moved, signed)).toBe("ingested_at 2026-11-24 09:20:00.000000 is not the batch's 2026-11-24 09:15:03.000000");
    expect(rowMismatch(moved, { ...signed, ingestedAt: null })).toBeNull();
  });
});
