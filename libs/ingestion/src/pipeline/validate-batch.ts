import { type AgentAction, checkAgentAction } from '@warden/contracts';
import type { DecodedEvent } from '../decoding/event-batch.decoder.js';
import type { IngestRejection } from './ingest-result.js';
import { normalise } from './normalise.js';
import { type Redaction, redactEvent } from '../redaction/index.js';

export interface ValidatedBatch {
  /** Valid events, normalised, each event_id once, in arrival order. */
  events: AgentAction[];
  /** Positions (in the input) of the events above, parallel to `events`. */
  positions: number[];
  /** Valid events whose event_id appeared earlier in the same batch. */
  repeats: number;
  rejected: (IngestRejection & { raw: string })[];
  /** Secrets masked in the valid events (paths and kinds, never the values). */
  redactions: Redaction[];
}

/**
 * The validate, normalise and redact steps, shared by every transport. When the
 * transport knows who sent the batch (`expectedTenant`), an event claiming
 * another tenant is rejected rather than stored under it.
 */
export function validateBatch(batch: DecodedEvent[], expectedTenant?: string): ValidatedBatch {
  const result: ValidatedBatch = { events: [], positions: [], repeats: 0, rejected: [], redactions: [] };
  const seen = new Set<string>();
  batch.forEach((item, index) => {
    const check = checkAgentAction(item.value, Buffer.byteLength(item.raw, 'utf8'));
    if (!check.ok) {
      result.rejected.push({ index, event_id: check.event_id, errors: check.errors, raw: item.raw });
      return;
    }
    const event = check.event;
    if (expectedTenant !== undefined && event.tenant !== expectedTenant) {
      result.rejected.push({
        index,
        event_id: event.event_id,
        errors: [{ path: 'tenant', message: `expected "${expectedTenant}", the tenant of the credential that sent it` }],
        raw: item.raw,
      });
      return;
    }
    const key = `${event.tenant}\u0000${event.event_id}`;
    if (seen.has(key)) {
      result.repeats++;
      return;
    }
    seen.add(key);
    // Secrets are masked before anything is stored: the audit log must not become the leak.
    const redacted = redactEvent(normalise(event));
    result.events.push(redacted.event);
    if (redacted.redactions.length > 0) result.redactions.push(...redacted.redactions);
    result.positions.push(index);
  });
  return result;
}
