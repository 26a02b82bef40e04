import type { AgentAction } from '@warden/contracts';

/**
 * A benign, realistic event of about 600–700 bytes: 2,000 principals acting on
 * 50,000 files, one post in ten. `tag` keeps event_ids unique per run.
 */
export function benchEvent(i: number, tag: string): AgentAction {
  const principal = `agent-${i % 2000}`;
  return {
    event_id: `${tag}-${i}`,
    schema_version: '1',
    occurred_at: new Date(Date.UTC(2026, 10, 1) + i).toISOString(),
    tenant: 'default',
    principal: { id: principal, kind: 'agent', display_name: `Agent ${i % 2000}` },
    agent: { id: principal, framework: 'langgraph', model: 'gpt-5', on_behalf_of: `user-${i % 500}@example.com` },
    action: { type: i % 10 === 0 ? 'message.post' : 'data.read', name: 'fetch_document' },
    resource: { type: 'drive.file', id: `file-${i % 50_000}`, name: `Quarterly report ${i % 97}.xlsx`, sensitivity: 'internal', owner: 'finance' },
    outcome: 'success',
    source: { system: 'agent-gateway', session_id: `sess-${i % 9000}`, trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', ip: '10.20.30.40' },
    attributes: { tool_call_id: `call_${i}`, latency_ms: i % 900, note: 'x'.repeat(40) },
  };
}
