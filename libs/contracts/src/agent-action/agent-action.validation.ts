import { z } from 'zod';
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
 * The same schema with every object's fields in sorted order. Zod builds its
 * output in shape order, so events validated by this parser come out in
 * canonical member order, and the canonical JSON Warden stores and hashes is
 * then a plain native JSON.stringify (see canonicalJson in @warden/common).
 * Same fields, rules and errors: only the order of output members differs.
 */
export function inSortedFieldOrder(schema: z.ZodType): z.ZodType {
  if (schema instanceof z.ZodOptional) return inSortedFieldOrder(schema.unwrap() as z.ZodType).optional();
  if (!(schema instanceof z.ZodObject)) return schema;
  const shape = schema.shape as Record<string, z.ZodType>;
  const keys = Object.keys(shape).sort();
  // pick keeps the object's own settings (strictness) and lays the shape out in the mask's order.
  const picked = schema.pick(Object.fromEntries(keys.map((k) => [k, true])) as Record<string, true>) as z.ZodObject;
  const nested = Object.fromEntries(keys.flatMap((k) => (inSortedFieldOrder(shape[k]) === shape[k] ? [] : [[k, inSortedFieldOrder(shape[k])]])));
  // extend replaces those fields in place, keeping the sorted positions.
  return Object.keys(nested).length > 0 ? picked.extend(nested) : picked;
}

const agentActionParser = inSortedFieldOrder(agentActionSchema) as typeof agentActionSchema;

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
  const parsed = agentActionParser.safeParse(value);
  if (parsed.success) return { ok: true, event: parsed.data };
  return { ok: false, event_id: extractEventId(value), errors: toViolations(parsed.error) };
}
