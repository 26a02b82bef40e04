import type { AgentAction } from '@warden/contracts';

let sequence = 0;

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** A valid contract-v1 event with unique id; override any part of it. */
export function agentAction(overrides: DeepPartial<AgentAction> = {}): AgentAction {
  sequence += 1;
  const base: AgentAction = {
    event_id: `evt-${process.pid}-${Date.now().toString(36)}-${sequence}`,
    schema_version: '1',
    occurred_at: new Date(Date.UTC(2026, 10, 24, 9, 0, 0) + sequence * 1000).toISOString(),
    tenant: 'default',
    principal: { id: 'agent-7', kind: 'agent' },
    action: { type: 'data.read' },
    resource: { type: 'document', id: `doc-${sequence % 17}` },
    outcome: 'success',
    source: { system: 'test-gateway' },
  };
  return merge(base, overrides) as AgentAction;
}

function merge(target: unknown, patch: unknown): unknown {
  if (patch === undefined) return target;
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  if (typeof target !== 'object' || target === null || Array.isArray(target)) return patch;
  const out: Record<string, unknown> = { ...(target as Record<string, unknown>) };
  for (const [k, v] of Object.entries(patch)) out[k] = merge(out[k], v);
  return out;
}

export function toNdjson(events: unknown[]): string {
  return `${events.map((e) => JSON.stringify(e)).join('\n')}\n`;
}
