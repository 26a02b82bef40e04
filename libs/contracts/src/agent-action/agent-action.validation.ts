import type { z } from 'zod';
import { EVENT_MAX_BYTES, agentActionSchema, type AgentAction } from './agent-action.schema.js';

/** One reason an event broke the contract: where, and what was expected. */
export interface ContractViolation {
  /** Dotted path into the event (`principal.kind`, `permission_change.privileges.0`); empty for the whole event. */
  path: string;
  message: string;
}

export type ContractCheck =
  | { ok: true; event: AgentAction }
  | { ok: false; event_id?: string; errors: ContractViolation[] };

const formatPath = (path: ReadonlyArray<PropertyKey>): string => path.map(String).join('.');

/** Zod issues → violations. An unknown key is reported at its own path, so the producer sees which field. */
export function toViolations(error: z.ZodError): ContractViolation[] {
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: formatPath([...issue.path, key]), message: 'unknown field (not in contract v1)' }))
      : [{ path: formatPath(issue.path), message: issue.message }],
  );
}

/** Best effort: the event_id of something that failed validation, so a rejection can be traced. */
export function extractEventId(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const id = (value as Record<string, unknown>).event_id;
  return typeof id === 'string' && id.length > 0 && id.length <= 128 ? id : undefined;
}

/**
 * Checks one decoded event against contract v1. `byteLength` is the event's
 * size as received, when the transport knows it; otherwise it is measured.
 */
export function checkAgentAction(value: unknown, byteLength?: number): ContractCheck {
  const size = byteLength ?? Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
  if (size > EVENT_MAX_BYTES) {
    return {
      ok: false,
      event_id: extractEventId(value),
      errors: [{ path: '', message: `event is ${size} bytes; at most ${EVENT_MAX_BYTES} are allowed` }],
    };
  }
  const parsed = agentActionSchema.safeParse(value);
  if (parsed.success) return { ok: true, event: parsed.data };
  return { ok: false, event_id: extractEventId(value), errors: toViolations(parsed.error) };
}
