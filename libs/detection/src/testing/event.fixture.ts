import type { AgentAction } from '@warden/contracts';

/** Test support only (excluded from the library build): deterministic events. */

type DeepPartial<T> = { [K in keyof T]?: T[K] extends readonly unknown[] ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** The instant every spec counts from: 2026-11-24T09:00:00Z. */
export const T0 = Date.UTC(2026, 10, 24, 9, 0, 0);

/** T0 plus `seconds`, as the UTC RFC 3339 string ingestion produces. */
export function at(seconds: number): string {
  return new Date(T0 + Math.round(seconds * 1000)).toISOString();
}

export type EventOverrides = DeepPartial<Omit<AgentAction, 'event_id'>> & { id: string };

/** A valid contract-v1 event with a chosen id; override any part of it. Defaults: tenant acme, agent-7 reads doc-1 at T0. */
export function event(overrides: EventOverrides): AgentAction {
  const { id, ...rest } = overrides;
  const base: AgentAction = {
    event_id: id,
    schema_version: '1',
    occurred_at: at(0),
    tenant: 'acme',
    principal: { id: 'agent-7', kind: 'agent' },
    action: { type: 'data.read' },
    resource: { type: 'document', id: 'doc-1' },
    outcome: 'success',
    source: { system: 'test-gateway' },
  };
  return merge(base, rest) as AgentAction;
}

function merge(target: unknown, patch: unknown): unknown {
  if (patch === undefined) return target;
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  if (typeof target !== 'object' || target === null || Array.isArray(target)) return patch;
  const out: Record<string, unknown> = { ...(target as Record<string, unknown>) };
  for (const [k, v] of Object.entries(patch)) out[k] = merge(out[k], v);
  return out;
}
